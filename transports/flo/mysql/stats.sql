-- Volatile numbers (never hashed): InnoDB's row estimate and data + index bytes per table.
SELECT t.TABLE_NAME AS table_name, t.TABLE_ROWS AS row_estimate,
       t.DATA_LENGTH + t.INDEX_LENGTH AS total_bytes
FROM information_schema.TABLES t
WHERE t.TABLE_SCHEMA = {{database}} AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
ORDER BY t.TABLE_NAME

-- Columns of base tables in ordinal order. MariaDB's JSON is LONGTEXT plus an automatic
-- CHECK (json_valid(col)) named after the column: reported here as type json (and the check
-- is left out of constraints.sql). Collation only where it differs from the table's.
SELECT c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name,
       c.ORDINAL_POSITION AS ordinal,
       CASE WHEN jc.CONSTRAINT_NAME IS NOT NULL THEN 'json' ELSE c.COLUMN_TYPE END AS data_type,
       c.IS_NULLABLE = 'YES' AS nullable,
       CASE WHEN c.IS_GENERATED = 'ALWAYS' THEN NULL ELSE c.COLUMN_DEFAULT END AS column_default,
       CASE WHEN c.EXTRA LIKE '%auto_increment%' THEN 'auto_increment' END AS identity,
       c.GENERATION_EXPRESSION AS generated,
       c.EXTRA LIKE '%STORED GENERATED%' OR c.EXTRA LIKE '%PERSISTENT%' AS generated_stored,
       CASE WHEN jc.CONSTRAINT_NAME IS NULL
            THEN NULLIF(c.COLLATION_NAME, t.TABLE_COLLATION) END AS collation,
       NULLIF(c.COLUMN_COMMENT, '') AS comment,
       CASE WHEN c.EXTRA LIKE '%on update %'
            THEN SUBSTRING(c.EXTRA, LOCATE('on update ', c.EXTRA) + 10) END AS on_update
FROM information_schema.COLUMNS c
-- information_schema tables joined to each other are re-read per row: each is read once
-- into a derived table (LIMIT keeps the optimiser from merging it back), then joined.
JOIN (SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = {{database}} AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
       LIMIT 18446744073709551615) t
  ON t.TABLE_NAME = c.TABLE_NAME
LEFT JOIN (SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
            WHERE CONSTRAINT_SCHEMA = {{database}} AND LEVEL = 'Column'
            LIMIT 18446744073709551615) jc
  ON jc.TABLE_NAME = c.TABLE_NAME AND jc.CONSTRAINT_NAME = c.COLUMN_NAME
 AND jc.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, '`)')
WHERE c.TABLE_SCHEMA = {{database}}
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION

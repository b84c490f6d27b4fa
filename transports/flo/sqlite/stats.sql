-- Volatile numbers (never hashed). SQLite keeps no row estimate that is always there
-- (sqlite_stat1 exists only after ANALYZE), so rows are not estimated; bytes come from the
-- dbstat virtual table (compiled into the stdlib's SQLite on every platform we ship),
-- table pages plus its indexes' pages, in one aggregate over the file.
SELECT s.name AS table_name, NULL AS row_estimate,
       (SELECT sum(d.pgsize) FROM dbstat d
         WHERE d.name = s.name
            OR d.name IN (SELECT i.name FROM sqlite_schema i
                           WHERE i.type = 'index' AND i.tbl_name = s.name)) AS total_bytes
FROM sqlite_schema s
JOIN pragma_table_list tl ON tl.schema = 'main' AND tl.name = s.name AND tl.type = 'table'
WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY s.name

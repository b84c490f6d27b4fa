-- Primary and foreign keys (one row per key column, in key order) and CHECK constraints (one
-- row each). UNIQUE keys are indexes in MariaDB and come from indexes.sql.
SELECT k.TABLE_NAME AS table_name, k.CONSTRAINT_NAME AS constraint_name,
       CASE tc.CONSTRAINT_TYPE WHEN 'PRIMARY KEY' THEN 'p' ELSE 'f' END AS kind,
       k.ORDINAL_POSITION AS position, k.COLUMN_NAME AS column_name,
       CASE WHEN k.REFERENCED_TABLE_SCHEMA = k.TABLE_SCHEMA THEN ''
            ELSE k.REFERENCED_TABLE_SCHEMA END AS ref_schema,
       k.REFERENCED_TABLE_NAME AS ref_table, k.REFERENCED_COLUMN_NAME AS ref_column,
       rc.UPDATE_RULE AS on_update, rc.DELETE_RULE AS on_delete, rc.MATCH_OPTION AS match_option,
       NULL AS expression
-- Each information_schema table is read once into a derived table (LIMIT keeps the optimiser
-- from merging it back, which would re-read it per joined row), then joined.
FROM (SELECT TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS
       WHERE CONSTRAINT_SCHEMA = {{database}} AND CONSTRAINT_TYPE IN ('PRIMARY KEY', 'FOREIGN KEY')
       LIMIT 18446744073709551615) tc
JOIN (SELECT * FROM information_schema.KEY_COLUMN_USAGE
       WHERE CONSTRAINT_SCHEMA = {{database}} LIMIT 18446744073709551615) k
  ON k.TABLE_NAME = tc.TABLE_NAME AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
LEFT JOIN (SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE, MATCH_OPTION
             FROM information_schema.REFERENTIAL_CONSTRAINTS
            WHERE CONSTRAINT_SCHEMA = {{database}} LIMIT 18446744073709551615) rc
  ON rc.TABLE_NAME = tc.TABLE_NAME AND rc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
UNION ALL
SELECT cc.TABLE_NAME, cc.CONSTRAINT_NAME, 'c', 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       cc.CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS cc
WHERE cc.CONSTRAINT_SCHEMA = {{database}}
  AND NOT (cc.LEVEL = 'Column' AND cc.CHECK_CLAUSE = CONCAT('json_valid(`', cc.CONSTRAINT_NAME, '`)'))
ORDER BY 1, 2, 4

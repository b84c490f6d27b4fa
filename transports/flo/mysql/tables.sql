-- Base tables of the database. Engine and collation are recorded only where they differ from
-- the server's default engine and the database's default collation, so the same schema on
-- another server (or in another database) compares equal.
SELECT t.TABLE_NAME AS table_name,
       NULLIF(t.TABLE_COMMENT, '') AS comment,
       NULLIF(t.ENGINE, @@default_storage_engine) AS engine,
       NULLIF(t.TABLE_COLLATION, s.DEFAULT_COLLATION_NAME) AS collation,
       LOWER(p.partition_method) AS partition_strategy,
       p.partition_expression AS partition_key
FROM information_schema.TABLES t
JOIN information_schema.SCHEMATA s ON s.SCHEMA_NAME = t.TABLE_SCHEMA
LEFT JOIN (SELECT TABLE_NAME, MIN(PARTITION_METHOD) AS partition_method,
                  MIN(PARTITION_EXPRESSION) AS partition_expression
             FROM information_schema.PARTITIONS
            WHERE TABLE_SCHEMA = {{database}} AND PARTITION_NAME IS NOT NULL
            GROUP BY TABLE_NAME) p ON p.TABLE_NAME = t.TABLE_NAME
WHERE t.TABLE_SCHEMA = {{database}} AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
ORDER BY t.TABLE_NAME

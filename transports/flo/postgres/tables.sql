-- Tables (plain and partitioned; partitions belong to their parent, see partitions.sql).
SELECT n.nspname AS schema_name, c.relname AS table_name,
       ds.description AS comment,
       CASE pt.partstrat WHEN 'r' THEN 'range' WHEN 'l' THEN 'list' WHEN 'h' THEN 'hash' END
         AS partition_strategy,
       CASE WHEN pt.partrelid IS NOT NULL
            THEN substring(pg_get_partkeydef(c.oid) FROM '^\w+ \((.*)\)$') END AS partition_key,
       CASE WHEN c.relpersistence = 'u' THEN 'unlogged' END AS persistence
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass
                           AND ds.objsubid = 0
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2

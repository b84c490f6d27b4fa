-- Volatile numbers (never hashed): planner row estimate and total size per table, partitions
-- summed into their parent. reltuples is -1 for a table never analysed: reported as NULL.
SELECT n.nspname AS schema_name, c.relname AS table_name,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate,
       pg_total_relation_size(c.oid)
         + COALESCE((SELECT sum(pg_total_relation_size(i.inhrelid))
                       FROM pg_inherits i WHERE i.inhparent = c.oid), 0)::bigint AS total_bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT LIKE 'pg\_%'
ORDER BY 1, 2

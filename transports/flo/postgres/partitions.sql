-- Partitions of partitioned tables with their bound clause as the server prints it.
SELECT pn.nspname AS schema_name, p.relname AS table_name, c.relname AS partition_name,
       pg_get_expr(c.relpartbound, c.oid) AS bound
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.relispartition AND p.relkind = 'p'
  AND pn.nspname NOT IN ({{exclude_schemas}}) AND pn.nspname NOT LIKE 'pg\_%'
ORDER BY 1, 2, 3

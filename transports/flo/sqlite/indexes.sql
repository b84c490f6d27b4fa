-- Indexes created by CREATE INDEX (origin 'c'), one row per key part; an expression part
-- (cid -2) and a partial index's predicate come from the stored statement.
SELECT s.name AS table_name, il.name AS index_name, x.seqno AS position,
       x.name AS column_name, x."desc" AS descending, il."unique" AS is_unique,
       ix.sql AS ddl
FROM sqlite_schema s
JOIN pragma_table_list tl ON tl.schema = 'main' AND tl.name = s.name AND tl.type = 'table'
JOIN pragma_index_list(s.name) il
JOIN pragma_index_xinfo(il.name) x
JOIN sqlite_schema ix ON ix.type = 'index' AND ix.name = il.name
WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\_%' ESCAPE '\'
  AND il.origin = 'c' AND x."key" = 1
ORDER BY s.name, il.name, x.seqno

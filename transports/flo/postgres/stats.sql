-- Volatile numbers (never hashed): planner row estimate and size per table, partitions
-- summed into their parent. reltuples is -1 for a table never analysed: reported as NULL.
-- Sizes are the planner's page counts (pg_class.relpages of the table, its TOAST table and
-- their indexes, times the block size): pg_total_relation_size() would stat every file of
-- every relation, the slowest part of reading a large catalog. relpages is as fresh as the
-- last VACUUM / ANALYZE / CREATE INDEX, good enough for a size column.
WITH ix AS (
  SELECT i.indrelid, sum(ic.relpages) AS pages
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
  GROUP BY 1
), pages AS (
  SELECT COALESCE(h.inhparent, r.oid) AS owner,
         sum(r.relpages + COALESCE(t.relpages, 0) + COALESCE(x.pages, 0)
             + COALESCE(tx.pages, 0)) AS pages
  FROM pg_class r
  LEFT JOIN pg_class t ON t.oid = r.reltoastrelid
  LEFT JOIN ix x ON x.indrelid = r.oid
  LEFT JOIN ix tx ON tx.indrelid = r.reltoastrelid
  LEFT JOIN pg_inherits h ON h.inhrelid = r.oid AND r.relispartition
  WHERE r.relkind IN ('r', 'p', 'm')
  GROUP BY 1
)
SELECT n.nspname AS schema_name, c.relname AS table_name,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate,
       (p.pages * current_setting('block_size')::bigint)::bigint AS total_bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pages p ON p.owner = c.oid
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT LIKE 'pg\_%'
ORDER BY 1, 2

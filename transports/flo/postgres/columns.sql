-- Columns of tables (view columns come with views.sql), in ordinal order (one query for all).
-- Comments by a join, not col_description(): that SQL function runs a query per row.
-- A default cannot name a column, so it is deparsed without its table (relid 0): the same
-- text, without opening each table's deparse context (a generated column's expression
-- does name columns and keeps it).
SELECT n.nspname AS schema_name, c.relname AS table_name, a.attname AS column_name,
       a.attnum AS ordinal,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       NOT a.attnotnull AS nullable,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0) END AS column_default,
       CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END AS identity,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS generated,
       a.attgenerated = 's' AS generated_stored,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation,
       ds.description AS comment
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass
                           AND ds.objsubid = a.attnum
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2, a.attnum

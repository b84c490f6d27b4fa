-- Primary keys, unique, foreign key and check constraints: one row per key column (checks:
-- one row), in key order, so rows group into constraints by (schema, table, name).
SELECT n.nspname AS schema_name, c.relname AS table_name, con.conname AS constraint_name,
       con.contype AS kind, k.ord AS position,
       a.attname AS column_name,
       rn.nspname AS ref_schema, rc.relname AS ref_table, ra.attname AS ref_column,
       con.confupdtype AS on_update, con.confdeltype AS on_delete, con.confmatchtype AS match,
       con.condeferrable AS deferrable, con.condeferred AS initially_deferred,
       con.convalidated AS validated,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS expression
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) ON con.contype <> 'c'
LEFT JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[k.ord]
WHERE con.contype IN ('p', 'u', 'f', 'c') AND con.conparentid = 0 AND NOT c.relispartition
  AND n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3, k.ord

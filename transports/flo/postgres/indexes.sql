-- Indexes that do not back a constraint, on tables and materialised views: one row per key
-- or INCLUDE column; the server renders each part (column name or expression).
-- Parts by unnest(indkey) WITH ORDINALITY, not generate_series(1, indnatts): the planner
-- guesses 1,000 rows per generate_series call, and the inflated cost switched on JIT
-- compilation, which took longer than the query.
SELECT n.nspname AS schema_name, c.relname AS table_name, ic.relname AS index_name,
       k.k AS position, k.k > i.indnkeyatts AS included,
       CASE WHEN i.indkey[k.k - 1] <> 0 THEN a.attname END AS column_name,
       CASE WHEN i.indkey[k.k - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k.k::int, true) END
         AS expression,
       k.k <= i.indnkeyatts AND (i.indoption[k.k - 1] & 1) = 1 AS descending,
       CASE WHEN k.k > i.indnkeyatts THEN NULL
            WHEN (i.indoption[k.k - 1] & 3) = 2 THEN 'first'
            WHEN (i.indoption[k.k - 1] & 3) = 1 THEN 'last' END AS nulls,
       CASE WHEN k.k <= i.indnkeyatts AND NOT opc.opcdefault THEN opc.opcname END AS opclass,
       i.indisunique AS is_unique,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       am.amname AS method,
       ds.description AS comment
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, k)
LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.k - 1]
LEFT JOIN pg_opclass opc ON opc.oid = i.indclass[k.k - 1]
LEFT JOIN pg_description ds ON ds.objoid = ic.oid AND ds.classoid = 'pg_class'::regclass
                           AND ds.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3, k.k

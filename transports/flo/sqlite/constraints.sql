-- Primary keys (pk order), foreign keys (pragma_foreign_key_list: no names, grouped by id)
-- and UNIQUE constraints (their automatic indexes) in one query. Names the DDL gave are
-- filled in from the stored statement.
SELECT s.name AS table_name, 'p' AS kind, 'pk' AS constraint_key, NULL AS constraint_name,
       c.pk AS position,
       c.name AS column_name, NULL AS ref_table, NULL AS ref_column,
       NULL AS on_update, NULL AS on_delete, NULL AS match_option
FROM sqlite_schema s
JOIN pragma_table_list tl ON tl.schema = 'main' AND tl.name = s.name AND tl.type = 'table'
JOIN pragma_table_xinfo(s.name) c
WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\_%' ESCAPE '\' AND c.pk > 0
UNION ALL
SELECT s.name, 'f', 'fk' || f.id, '', f.seq, f."from", f."table", f."to",
       f.on_update, f.on_delete, f."match"
FROM sqlite_schema s
JOIN pragma_table_list tl ON tl.schema = 'main' AND tl.name = s.name AND tl.type = 'table'
JOIN pragma_foreign_key_list(s.name) f
WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\_%' ESCAPE '\'
UNION ALL
SELECT s.name, 'u', il.name, '', ii.seqno, ii.name, NULL, NULL, NULL, NULL, NULL
FROM sqlite_schema s
JOIN pragma_table_list tl ON tl.schema = 'main' AND tl.name = s.name AND tl.type = 'table'
JOIN pragma_index_list(s.name) il
JOIN pragma_index_info(il.name) ii
WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\_%' ESCAPE '\' AND il.origin = 'u'
ORDER BY 1, 3, 5

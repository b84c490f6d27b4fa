-- Tables of the main database with their stored CREATE statement (SQLite keeps no catalog
-- for CHECK constraints, constraint names, generated expressions or AUTOINCREMENT: those
-- are read from this text, see "ddl_fill" in catalog.json). Virtual tables and their
-- shadow tables (pragma_table_list type 'virtual' / 'shadow') have no IR kind: left out.
SELECT s.name AS table_name, s.sql AS ddl,
       CASE WHEN tl.wr THEN 'true' END AS without_rowid,
       CASE WHEN tl.strict THEN 'true' END AS strict
FROM sqlite_schema s
JOIN pragma_table_list tl ON tl.schema = 'main' AND tl.name = s.name AND tl.type = 'table'
WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY s.name

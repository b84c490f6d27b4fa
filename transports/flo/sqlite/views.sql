-- Views with their column names; the definition is read from the stored statement.
SELECT s.name AS view_name, s.sql AS ddl,
       (SELECT group_concat(c.name, char(10)) FROM pragma_table_info(s.name) c) AS column_names
FROM sqlite_schema s
WHERE s.type = 'view'
ORDER BY s.name

-- Views with their column names (one query; the definition is the server's rewrite, which
-- qualifies names with the database: catalog.json strips that so databases compare equal).
SELECT v.TABLE_NAME AS view_name, v.VIEW_DEFINITION AS definition,
       (SELECT GROUP_CONCAT(c.COLUMN_NAME ORDER BY c.ORDINAL_POSITION SEPARATOR '\n')
          FROM information_schema.COLUMNS c
         WHERE c.TABLE_SCHEMA = v.TABLE_SCHEMA AND c.TABLE_NAME = v.TABLE_NAME) AS column_names
FROM information_schema.VIEWS v
WHERE v.TABLE_SCHEMA = {{database}}
ORDER BY v.TABLE_NAME

-- Views with their column names (one query; the definition is the server's rewrite, which
-- qualifies names with the database: catalog.json strips that so databases compare equal).
-- (A correlated subquery on COLUMNS re-reads it per view: joined and grouped instead.)
SELECT v.TABLE_NAME AS view_name, v.VIEW_DEFINITION AS definition,
       GROUP_CONCAT(c.COLUMN_NAME ORDER BY c.ORDINAL_POSITION SEPARATOR '\n') AS column_names
FROM information_schema.VIEWS v
LEFT JOIN (SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = {{database}} LIMIT 18446744073709551615) c
  ON c.TABLE_NAME = v.TABLE_NAME
WHERE v.TABLE_SCHEMA = {{database}}
GROUP BY v.TABLE_NAME, v.VIEW_DEFINITION
ORDER BY v.TABLE_NAME

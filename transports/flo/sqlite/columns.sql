-- Columns of every table in one query (pragma table-valued functions joined to the schema
-- table), hidden = 2/3 marks a virtual/stored generated column.
SELECT s.name AS table_name, c.cid AS ordinal, c.name AS column_name, c.type AS data_type,
       NOT c."notnull" AS nullable, c.dflt_value AS column_default,
       c.hidden IN (2, 3) AS is_generated, c.hidden = 3 AS generated_stored
FROM sqlite_schema s
JOIN pragma_table_list tl ON tl.schema = 'main' AND tl.name = s.name AND tl.type = 'table'
JOIN pragma_table_xinfo(s.name) c
WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY s.name, c.cid

-- Triggers: the stored statement is the definition; timing and events are parsed from it.
SELECT s.tbl_name AS table_name, s.name AS trigger_name, s.sql AS definition, s.sql AS ddl
FROM sqlite_schema s
WHERE s.type = 'trigger'
ORDER BY s.tbl_name, s.name

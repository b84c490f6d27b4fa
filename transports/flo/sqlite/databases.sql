-- The schemas of this connection: "main" (the file), "temp" (the connection's own,
-- flagged system) and any ATTACHed files.
SELECT name, name = 'temp' AS is_system FROM pragma_database_list ORDER BY name

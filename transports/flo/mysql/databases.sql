-- Every database (schema) this user can see; the server's own are flagged system.
SELECT SCHEMA_NAME AS name,
       SCHEMA_NAME IN ('information_schema', 'mysql', 'performance_schema', 'sys') AS is_system
FROM information_schema.SCHEMATA
ORDER BY SCHEMA_NAME

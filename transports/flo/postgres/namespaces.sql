-- Schemas of the database, minus the system ones and the ones every new database has
-- (both lists in catalog.json).
SELECT n.nspname AS schema_name,
       obj_description(n.oid, 'pg_namespace') AS comment
FROM pg_namespace n
WHERE n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT IN ({{implicit_schemas}})
  AND n.nspname NOT LIKE 'pg\_%'
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid
                    AND d.deptype = 'e')
ORDER BY 1

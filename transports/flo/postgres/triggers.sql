-- User triggers (not constraint triggers, not clones on partitions); tgtype bits decoded here.
SELECT n.nspname AS schema_name, c.relname AS table_name, tg.tgname AS trigger_name,
       CASE WHEN tg.tgtype & 2 = 2 THEN 'BEFORE' WHEN tg.tgtype & 64 = 64 THEN 'INSTEAD OF'
            ELSE 'AFTER' END AS timing,
       concat_ws(',', CASE WHEN tg.tgtype & 4 = 4 THEN 'INSERT' END,
                      CASE WHEN tg.tgtype & 8 = 8 THEN 'DELETE' END,
                      CASE WHEN tg.tgtype & 16 = 16 THEN 'UPDATE' END,
                      CASE WHEN tg.tgtype & 32 = 32 THEN 'TRUNCATE' END) AS events,
       pg_get_triggerdef(tg.oid, true) AS definition,
       tg.tgenabled <> 'D' AS enabled
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT tg.tgisinternal AND tg.tgparentid = 0
  AND n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT LIKE 'pg\_%'
ORDER BY 1, 2, 3

-- Triggers with a CREATE TRIGGER statement rebuilt from their parts (SHOW CREATE TRIGGER
-- would be one statement per trigger and carries the definer, which is not schema).
SELECT tr.EVENT_OBJECT_TABLE AS table_name, tr.TRIGGER_NAME AS trigger_name,
       tr.ACTION_TIMING AS timing, tr.EVENT_MANIPULATION AS events,
       CONCAT('CREATE TRIGGER `', tr.TRIGGER_NAME, '` ', tr.ACTION_TIMING, ' ',
              tr.EVENT_MANIPULATION, ' ON `', tr.EVENT_OBJECT_TABLE, '` FOR EACH ',
              tr.ACTION_ORIENTATION, ' ', tr.ACTION_STATEMENT) AS definition
FROM information_schema.TRIGGERS tr
WHERE tr.TRIGGER_SCHEMA = {{database}}
ORDER BY tr.EVENT_OBJECT_TABLE, tr.TRIGGER_NAME

-- Sequences, with the column a SERIAL sequence belongs to. Identity sequences (dependency
-- 'i') are implied by their column and left out.
SELECT n.nspname AS schema_name, c.relname AS sequence_name,
       format_type(s.seqtypid, NULL) AS data_type,
       s.seqstart AS start, s.seqincrement AS increment,
       s.seqmin AS min_value, s.seqmax AS max_value, s.seqcycle AS cycle, s.seqcache AS cache,
       (SELECT tc.relname || '.' || ta.attname
          FROM pg_depend d
          JOIN pg_class tc ON tc.oid = d.refobjid
          JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
           AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a') AS owned_by,
       obj_description(c.oid, 'pg_class') AS comment
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                    AND d.deptype IN ('i', 'e'))
ORDER BY 1, 2

-- User types: enums (one row per label, in sort order), domains and composites (definition
-- rendered by the server), ranges. Array types, table row types and extension types are out.
SELECT n.nspname AS schema_name, t.typname AS type_name,
       CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite'
                      WHEN 'r' THEN 'range' WHEN 'm' THEN 'multirange' ELSE t.typtype::text END
         AS kind,
       e.enumlabel AS label,
       CASE t.typtype
         WHEN 'd' THEN concat_ws(' ', format_type(t.typbasetype, t.typtypmod),
                         CASE WHEN t.typcollation <> bt.typcollation
                              THEN 'COLLATE ' || quote_ident(dco.collname) END,
                         'DEFAULT ' || t.typdefault,
                         CASE WHEN t.typnotnull THEN 'NOT NULL' END,
                         (SELECT string_agg(pg_get_constraintdef(dc.oid, true), ' '
                                            ORDER BY dc.conname)
                            FROM pg_constraint dc WHERE dc.contypid = t.oid))
         WHEN 'c' THEN (SELECT string_agg(quote_ident(ca.attname) || ' '
                                          || format_type(ca.atttypid, ca.atttypmod), ', '
                                          ORDER BY ca.attnum)
                          FROM pg_attribute ca
                         WHERE ca.attrelid = t.typrelid AND ca.attnum > 0
                           AND NOT ca.attisdropped)
         WHEN 'r' THEN (SELECT 'SUBTYPE = ' || format_type(r.rngsubtype, NULL)
                          FROM pg_range r WHERE r.rngtypid = t.oid)
       END AS definition,
       obj_description(t.oid, 'pg_type') AS comment
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_enum e ON e.enumtypid = t.oid
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_collation dco ON dco.oid = t.typcollation
LEFT JOIN pg_class tc ON tc.oid = t.typrelid
WHERE t.typtype IN ('e', 'd', 'c', 'r')
  AND (t.typtype <> 'c' OR tc.relkind = 'c')
  AND n.nspname NOT IN ({{exclude_schemas}}) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                  AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2, e.enumsortorder

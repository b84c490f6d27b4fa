-- Stored functions and procedures with a CREATE statement rebuilt from ROUTINES and
-- PARAMETERS in one query (no definer: it is not part of the schema). Characteristics that
-- are the defaults (NOT DETERMINISTIC, CONTAINS SQL, SQL SECURITY DEFINER) are left out.
SELECT x.routine_name, x.kind, x.arguments, x.returns, x.language, x.comment,
       CONCAT('CREATE ', UPPER(x.kind), ' `', x.routine_name, '`(', x.arguments, ')',
              COALESCE(CONCAT(' RETURNS ', x.returns), ''),
              CASE WHEN x.is_deterministic = 'YES' THEN ' DETERMINISTIC' ELSE '' END,
              CASE WHEN x.data_access <> 'CONTAINS SQL' THEN CONCAT(' ', x.data_access) ELSE '' END,
              CASE WHEN x.security_type = 'INVOKER' THEN ' SQL SECURITY INVOKER' ELSE '' END,
              ' ', x.body) AS definition
FROM (
  SELECT r.ROUTINE_NAME AS routine_name, LOWER(r.ROUTINE_TYPE) AS kind,
         COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(' ',
                            CASE WHEN r.ROUTINE_TYPE = 'PROCEDURE' THEN p.PARAMETER_MODE END,
                            p.PARAMETER_NAME, p.DTD_IDENTIFIER)
                          ORDER BY p.ORDINAL_POSITION SEPARATOR ', ')
                     FROM information_schema.PARAMETERS p
                    WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA
                      AND p.SPECIFIC_NAME = r.ROUTINE_NAME
                      AND p.ROUTINE_TYPE = r.ROUTINE_TYPE AND p.ORDINAL_POSITION > 0), '')
           AS arguments,
         CASE WHEN r.ROUTINE_TYPE = 'FUNCTION' THEN r.DTD_IDENTIFIER END AS returns,
         LOWER(r.ROUTINE_BODY) AS language,
         NULLIF(r.ROUTINE_COMMENT, '') AS comment,
         r.ROUTINE_DEFINITION AS body,
         r.IS_DETERMINISTIC AS is_deterministic, r.SQL_DATA_ACCESS AS data_access,
         r.SECURITY_TYPE AS security_type
  FROM information_schema.ROUTINES r
  WHERE r.ROUTINE_SCHEMA = {{database}}
) x
ORDER BY x.routine_name, x.kind

-- Sequences of the database. MariaDB keeps a sequence's settings only in the sequence itself
-- (no catalog view has them): these rows expand sequences.sql, one SELECT per sequence, all
-- joined by UNION ALL into one statement. MySQL has no sequences: no rows, no second query.
SELECT t.TABLE_SCHEMA AS schema_name, t.TABLE_NAME AS sequence_name,
       NULLIF(t.TABLE_COMMENT, '') AS comment
FROM information_schema.TABLES t
WHERE t.TABLE_SCHEMA = {{database}} AND t.TABLE_TYPE = 'SEQUENCE'
ORDER BY t.TABLE_NAME

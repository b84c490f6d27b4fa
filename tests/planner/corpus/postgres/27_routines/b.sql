CREATE FUNCTION add_one(a integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT a + 2 $$;
CREATE PROCEDURE p(days integer) LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION twice(a integer, b integer DEFAULT 2) RETURNS integer LANGUAGE sql AS $$ SELECT a * b $$;

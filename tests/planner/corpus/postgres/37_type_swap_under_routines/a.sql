-- an enum loses a label and a domain's check changes: both are swapped, and the routines
-- whose signatures use them (and an array column of the enum) must not block the swap
CREATE TYPE mood AS ENUM ('sad', 'meh', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE t (id integer PRIMARY KEY, m mood DEFAULT 'sad', ms mood[], n posint);
CREATE FUNCTION cheer(x mood) RETURNS mood LANGUAGE sql IMMUTABLE AS $$ SELECT 'happy'::mood $$;
CREATE FUNCTION moods() RETURNS SETOF mood LANGUAGE sql STABLE AS $$ SELECT m FROM t $$;
CREATE FUNCTION double_it(v posint) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT v * 2 $$;
CREATE FUNCTION t_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.m := cheer(NEW.m); RETURN NEW; END $$;
CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_touch();
INSERT INTO t VALUES (1, 'happy', ARRAY['sad', 'happy']::mood[], 5);

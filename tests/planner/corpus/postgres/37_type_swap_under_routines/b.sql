CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0 AND VALUE < 1000);
CREATE TABLE t (id integer PRIMARY KEY, m mood DEFAULT 'sad', ms mood[], n posint);
CREATE FUNCTION cheer(x mood) RETURNS mood LANGUAGE sql IMMUTABLE AS $$ SELECT 'happy'::mood $$;
CREATE FUNCTION moods() RETURNS SETOF mood LANGUAGE sql STABLE AS $$ SELECT m FROM t $$;
CREATE FUNCTION double_it(v posint) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT v * 2 $$;
CREATE FUNCTION t_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.m := cheer(NEW.m); RETURN NEW; END $$;
CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_touch();

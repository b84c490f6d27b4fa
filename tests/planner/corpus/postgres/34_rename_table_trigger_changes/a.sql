CREATE TABLE purchase (id integer PRIMARY KEY, status text);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.status := lower(NEW.status); RETURN NEW; END $$;
CREATE TRIGGER purchase_touch BEFORE INSERT ON purchase FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO purchase VALUES (1, 'x');

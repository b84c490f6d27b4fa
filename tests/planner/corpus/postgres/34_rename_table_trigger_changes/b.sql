-- sqlx:rename-from purchase
CREATE TABLE orders (id integer PRIMARY KEY, status text);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.status := lower(NEW.status); RETURN NEW; END $$;
CREATE TRIGGER purchase_touch BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();

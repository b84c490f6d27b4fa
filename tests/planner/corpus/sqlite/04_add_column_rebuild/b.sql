CREATE TABLE orders (id integer PRIMARY KEY, total integer, code text NOT NULL, at text DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX orders_total_idx ON orders (total);
CREATE TRIGGER orders_ins AFTER INSERT ON orders BEGIN UPDATE orders SET total = 0 WHERE id = NEW.id AND total IS NULL; END;

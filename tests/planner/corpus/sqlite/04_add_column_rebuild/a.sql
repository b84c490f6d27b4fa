-- a NOT NULL column without a default and a CURRENT_TIMESTAMP default: ALTER cannot, rebuild
CREATE TABLE orders (id integer PRIMARY KEY, total integer);
CREATE INDEX orders_total_idx ON orders (total);
CREATE TRIGGER orders_ins AFTER INSERT ON orders BEGIN UPDATE orders SET total = 0 WHERE id = NEW.id AND total IS NULL; END;

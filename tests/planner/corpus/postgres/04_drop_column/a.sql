CREATE TABLE orders (id integer PRIMARY KEY, legacy text, status text);
CREATE INDEX orders_legacy_idx ON orders (legacy);

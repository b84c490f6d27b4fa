-- sqlx:rename-from purchase
CREATE TABLE orders (id integer PRIMARY KEY, total integer);
CREATE VIEW purchase_ids AS SELECT id FROM orders;

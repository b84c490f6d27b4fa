CREATE TABLE customers (id integer PRIMARY KEY);
-- sqlx:rename-from purchase
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers (id));
CREATE VIEW purchase_ids AS SELECT id FROM orders;

CREATE TABLE customers (id int PRIMARY KEY);
-- sqlx:rename-from purchase
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, CONSTRAINT p_c FOREIGN KEY (customer_id) REFERENCES customers (id));
CREATE VIEW purchase_ids AS SELECT id FROM orders;

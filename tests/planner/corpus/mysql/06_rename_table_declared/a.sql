CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE purchase (id int PRIMARY KEY, customer_id int, CONSTRAINT p_c FOREIGN KEY (customer_id) REFERENCES customers (id));
INSERT INTO customers VALUES (7);
INSERT INTO purchase VALUES (1, 7);
CREATE VIEW purchase_ids AS SELECT id FROM purchase;

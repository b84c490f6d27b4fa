CREATE TABLE customers (id integer PRIMARY KEY);
CREATE TABLE purchase (id integer PRIMARY KEY, customer_id integer REFERENCES customers (id));
INSERT INTO customers VALUES (7);
INSERT INTO purchase VALUES (1, 7);
CREATE VIEW purchase_ids AS SELECT id FROM purchase;

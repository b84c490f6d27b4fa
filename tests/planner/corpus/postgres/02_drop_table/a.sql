-- dropping tables: the referencing one goes first
CREATE TABLE customers (id integer PRIMARY KEY);
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers (id));
CREATE TABLE lines (id integer PRIMARY KEY, order_id integer REFERENCES orders (id));
INSERT INTO customers VALUES (1);

CREATE TABLE orders (id integer PRIMARY KEY);
INSERT INTO orders VALUES (1), (2);

CREATE TABLE orders (id int PRIMARY KEY, total int);
INSERT INTO orders VALUES (1, 5), (2, 6);

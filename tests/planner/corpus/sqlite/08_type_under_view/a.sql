CREATE TABLE orders (id integer PRIMARY KEY, total integer, status text);
CREATE VIEW open_orders AS SELECT id, total FROM orders WHERE status <> 'done';
CREATE VIEW big_open_orders AS SELECT id FROM open_orders WHERE total > 100;
INSERT INTO orders VALUES (1, 150, 'new');

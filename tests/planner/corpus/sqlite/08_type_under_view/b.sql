CREATE TABLE orders (id integer PRIMARY KEY, total real, status text);
CREATE VIEW open_orders AS SELECT id, total FROM orders WHERE status <> 'done';
CREATE VIEW big_open_orders AS SELECT id FROM open_orders WHERE total > 100;

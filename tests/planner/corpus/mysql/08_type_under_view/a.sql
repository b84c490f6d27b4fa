CREATE TABLE orders (id int PRIMARY KEY, total decimal(10,2), status varchar(10));
CREATE VIEW open_orders AS SELECT id, total FROM orders WHERE status <> 'done';
CREATE VIEW big_open_orders AS SELECT id FROM open_orders WHERE total > 100;
INSERT INTO orders VALUES (1, 150.5, 'new');

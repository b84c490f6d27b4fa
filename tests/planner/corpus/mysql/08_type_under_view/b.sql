CREATE TABLE orders (id int PRIMARY KEY, total decimal(14,2), status varchar(20));
CREATE VIEW open_orders AS SELECT id, total FROM orders WHERE status <> 'done';
CREATE VIEW big_open_orders AS SELECT id FROM open_orders WHERE total > 100;

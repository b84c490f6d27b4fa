CREATE TABLE orders (id integer PRIMARY KEY, remark text);
CREATE INDEX orders_remark_idx ON orders (remark);
INSERT INTO orders VALUES (1, 'keep me');

CREATE TABLE orders (id integer PRIMARY KEY, remark text, total integer CHECK (total > 0));
CREATE INDEX orders_remark_idx ON orders (remark);
INSERT INTO orders VALUES (1, 'keep me', 5);

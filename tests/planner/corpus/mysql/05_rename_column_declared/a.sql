CREATE TABLE orders (id int PRIMARY KEY, remark varchar(50), KEY remark_idx (remark));
INSERT INTO orders VALUES (1, 'keep me');

CREATE TABLE t (id int PRIMARY KEY, qty int, price int, total int AS (qty * price + 1) VIRTUAL);

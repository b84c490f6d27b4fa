CREATE TABLE t (id int PRIMARY KEY, a varchar(10), b varchar(10), UNIQUE KEY b_uq (b));

CREATE TABLE t (id int PRIMARY KEY, a int);
-- sqlx:rename-from a_old
CREATE INDEX a_new ON t (a);

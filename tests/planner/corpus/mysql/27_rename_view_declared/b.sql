CREATE TABLE t (id int PRIMARY KEY, a int);
-- sqlx:rename-from v_old
CREATE VIEW v_new AS SELECT id FROM t;

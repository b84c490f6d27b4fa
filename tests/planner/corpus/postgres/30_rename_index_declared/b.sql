CREATE TABLE t (id integer PRIMARY KEY, a text);
-- sqlx:rename-from t_a_old
CREATE INDEX t_a_new ON t (a);

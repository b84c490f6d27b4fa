CREATE TABLE t (id integer PRIMARY KEY, a integer);
-- sqlx:rename-from v_old
CREATE VIEW v_new AS SELECT id FROM t;
-- sqlx:rename-from m_old
CREATE MATERIALIZED VIEW m_new AS SELECT a FROM t;

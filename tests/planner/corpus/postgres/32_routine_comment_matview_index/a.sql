CREATE TABLE t (id integer PRIMARY KEY, a integer);
CREATE FUNCTION f(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x $$;
CREATE MATERIALIZED VIEW m AS SELECT a, count(*) AS n FROM t GROUP BY a;
CREATE INDEX m_a ON m (a);

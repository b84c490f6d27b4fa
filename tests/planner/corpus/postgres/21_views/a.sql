CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer);
CREATE VIEW v_keep AS SELECT id FROM t;
CREATE VIEW v_change AS SELECT id, a FROM t;
CREATE VIEW v_reads_change AS SELECT id FROM v_change;
CREATE VIEW v_gone AS SELECT b FROM t;
CREATE MATERIALIZED VIEW m AS SELECT a, count(*) AS n FROM t GROUP BY a;

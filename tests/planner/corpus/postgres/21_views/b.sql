CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer);
CREATE VIEW v_keep AS SELECT id FROM t;
CREATE VIEW v_change AS SELECT id, a, b FROM t WHERE a > 1;
CREATE VIEW v_reads_change AS SELECT id FROM v_change;
CREATE VIEW v_new AS SELECT a + b AS s FROM t;
CREATE MATERIALIZED VIEW m AS SELECT b, count(*) AS n FROM t GROUP BY b;
CREATE UNIQUE INDEX m_b ON m (b);

CREATE TABLE t (id int PRIMARY KEY, a int, b int);
CREATE VIEW v_keep AS SELECT id FROM t;
CREATE VIEW v_change AS SELECT id, a FROM t;
CREATE VIEW v_reads AS SELECT id FROM v_change;
CREATE VIEW v_gone AS SELECT b FROM t;

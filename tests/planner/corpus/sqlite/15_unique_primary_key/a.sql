CREATE TABLE t (id integer NOT NULL, code text NOT NULL, a text);
INSERT INTO t VALUES (1, 'x', 'y');

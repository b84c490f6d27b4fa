CREATE TABLE t (id integer PRIMARY KEY, a text, b text NOT NULL);
INSERT INTO t VALUES (1, 'x', 'y');

CREATE TABLE t (id integer PRIMARY KEY, a text, b text NOT NULL, c integer DEFAULT 1);
INSERT INTO t VALUES (1, 'x', 'y', 2);

-- a label goes away and the order changes: the type is swapped under its columns
CREATE TYPE mood AS ENUM ('sad', 'meh', 'happy');
CREATE TABLE t (id integer PRIMARY KEY, m mood DEFAULT 'sad');
CREATE VIEW happy AS SELECT id FROM t WHERE m = 'happy';
INSERT INTO t VALUES (1, 'happy');

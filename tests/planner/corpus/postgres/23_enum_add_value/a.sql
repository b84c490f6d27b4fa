CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE t (id integer PRIMARY KEY, m mood DEFAULT 'sad');
INSERT INTO t VALUES (1, 'happy');

CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a integer, b text);
CREATE TABLE t (id integer PRIMARY KEY, n posint, p pair);
INSERT INTO t VALUES (1, 5, ROW(1, 'x'));

CREATE DOMAIN posint AS integer CHECK (VALUE >= 0);
CREATE TYPE pair AS (a integer, b text, c boolean);
CREATE TABLE t (id integer PRIMARY KEY, n posint, p pair);

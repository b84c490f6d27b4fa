CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('a', 'b');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE t (id integer PRIMARY KEY, e citext, m mood, p posint);

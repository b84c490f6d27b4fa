CREATE TYPE mood AS ENUM ('awful', 'sad', 'ok', 'happy', 'great');
CREATE TABLE t (id integer PRIMARY KEY, m mood DEFAULT 'sad');

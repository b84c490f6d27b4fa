CREATE TABLE t (id integer PRIMARY KEY, a text NOT NULL, b text, c integer DEFAULT 2);

CREATE TABLE t (id integer NOT NULL, code text NOT NULL PRIMARY KEY, a text UNIQUE);

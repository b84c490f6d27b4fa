CREATE TABLE t (id integer PRIMARY KEY, a text DEFAULT 'old', b integer, c boolean DEFAULT false);

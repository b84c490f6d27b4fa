CREATE TABLE t (id integer PRIMARY KEY, a text DEFAULT 'new', b integer DEFAULT 7, c boolean);

CREATE TABLE t (id integer PRIMARY KEY, code text NOT NULL);
CREATE TABLE u (a integer NOT NULL, b integer NOT NULL);
CREATE TABLE w (id integer CONSTRAINT w_main_key PRIMARY KEY);

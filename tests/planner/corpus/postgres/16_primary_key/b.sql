CREATE TABLE t (id integer NOT NULL, code text PRIMARY KEY);
CREATE TABLE u (a integer NOT NULL, b integer NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE w (id integer PRIMARY KEY);

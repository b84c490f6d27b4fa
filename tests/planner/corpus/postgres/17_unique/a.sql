CREATE TABLE t (id integer PRIMARY KEY, a text UNIQUE, b text, c text, CONSTRAINT t_c_key UNIQUE (c));

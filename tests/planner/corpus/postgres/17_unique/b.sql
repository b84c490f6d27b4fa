CREATE TABLE t (id integer PRIMARY KEY, a text, b text UNIQUE, c text, CONSTRAINT t_c_key UNIQUE (c, b));

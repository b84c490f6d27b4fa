CREATE TABLE t (id integer PRIMARY KEY, a integer CONSTRAINT a_pos CHECK (a >= 0), b integer CONSTRAINT b_small CHECK (b < 5));

CREATE TABLE t (id integer PRIMARY KEY, a integer CONSTRAINT a_positive CHECK (a > 0), b integer, c integer CHECK (c < 10));

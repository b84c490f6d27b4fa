CREATE TABLE t (id integer PRIMARY KEY, a text, b integer);
CREATE INDEX t_a_idx ON t (lower(a)) WHERE b > 0;
CREATE UNIQUE INDEX t_b_idx ON t (b DESC);
CREATE INDEX t_new ON t (b, a);

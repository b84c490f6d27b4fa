CREATE TABLE t (id integer PRIMARY KEY, a text, b integer);
CREATE INDEX t_a_idx ON t (a);
CREATE INDEX t_b_idx ON t (b);
CREATE INDEX t_gone ON t (a, b);

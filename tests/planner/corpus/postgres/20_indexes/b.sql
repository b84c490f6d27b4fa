CREATE TABLE t (id integer PRIMARY KEY, a text, b integer, c jsonb);
CREATE INDEX t_a_idx ON t (lower(a)) WHERE b > 0;
CREATE UNIQUE INDEX t_b_idx ON t (b DESC NULLS LAST) INCLUDE (a);
CREATE INDEX t_c_gin ON t USING gin (c);

CREATE TABLE t (id integer PRIMARY KEY, a integer CONSTRAINT a_positive CHECK (a >= 0), b integer CONSTRAINT b_small CHECK (b < 5), c integer);
ALTER TABLE t ADD CONSTRAINT later_check CHECK (a <> 3) NOT VALID;

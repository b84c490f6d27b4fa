CREATE TABLE t (id int PRIMARY KEY, a int, b int, CONSTRAINT a_pos CHECK (a >= 0), CONSTRAINT b_new CHECK (b < 5));

CREATE TABLE t (id int PRIMARY KEY, a int, KEY a_old (a));

CREATE TABLE t (id int PRIMARY KEY, a varchar(50), b int, note text,
  KEY a_idx (a), KEY b_idx (b), KEY gone (a, b));

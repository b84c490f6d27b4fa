CREATE TABLE t (id int PRIMARY KEY, a varchar(50), b int, note text,
  KEY a_idx (a(10)), UNIQUE KEY b_idx (b DESC), FULLTEXT KEY note_ft (note));

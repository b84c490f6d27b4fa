CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (
  id int PRIMARY KEY,
  parent_id int, -- sqlx:rename-from pid
  KEY pid_idx (parent_id),
  CONSTRAINT c_p FOREIGN KEY (parent_id) REFERENCES p (id)
);

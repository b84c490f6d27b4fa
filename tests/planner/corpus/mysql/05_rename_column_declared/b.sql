CREATE TABLE orders (
  id int PRIMARY KEY,
  note varchar(50), -- sqlx:rename-from remark
  KEY remark_idx (note)
);

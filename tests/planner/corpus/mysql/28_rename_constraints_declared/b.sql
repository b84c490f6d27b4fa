CREATE TABLE parent (id int PRIMARY KEY, code varchar(10));
-- sqlx:rename-from parent_code_uq
ALTER TABLE parent ADD CONSTRAINT parent_code_key UNIQUE (code);
CREATE TABLE child (
  id int PRIMARY KEY,
  parent_id int,
  qty int,
  sku varchar(10),
  CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id), -- sqlx:rename-from child_parent
  CONSTRAINT child_qty_check CHECK (qty > 0), -- sqlx:rename-from qty_positive
  CONSTRAINT child_sku_key UNIQUE (sku) -- sqlx:rename-from sku_unique
);

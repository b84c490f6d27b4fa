CREATE TABLE parent (id int PRIMARY KEY, code varchar(10), UNIQUE KEY parent_code_uq (code));
CREATE TABLE child (
  id int PRIMARY KEY,
  parent_id int,
  qty int,
  sku varchar(10),
  CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id),
  CONSTRAINT qty_positive CHECK (qty > 0),
  CONSTRAINT sku_unique UNIQUE (sku)
);
INSERT INTO parent VALUES (1, 'a'), (2, 'b');
INSERT INTO child VALUES (10, 1, 5, 'x'), (11, 2, 7, 'y');

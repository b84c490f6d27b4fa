CREATE TABLE parent (id integer PRIMARY KEY, code text);
CREATE TABLE child (
  id integer CONSTRAINT child_pk PRIMARY KEY,
  parent_id integer,
  qty integer,
  sku text,
  CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id),
  CONSTRAINT qty_positive CHECK (qty > 0),
  CONSTRAINT sku_unique UNIQUE (sku)
);
ALTER TABLE parent ADD CONSTRAINT parent_code_uq UNIQUE (code);
INSERT INTO parent VALUES (1, 'a'), (2, 'b');
INSERT INTO child VALUES (10, 1, 5, 'x'), (11, 2, 7, 'y');

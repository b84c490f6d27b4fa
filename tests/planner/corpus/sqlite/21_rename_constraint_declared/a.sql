CREATE TABLE parent (id integer PRIMARY KEY);
CREATE TABLE child (
  id integer PRIMARY KEY,
  parent_id integer,
  qty integer,
  CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id),
  CONSTRAINT qty_positive CHECK (qty > 0)
);
INSERT INTO parent VALUES (1), (2);
INSERT INTO child VALUES (10, 1, 5), (11, 2, 7);

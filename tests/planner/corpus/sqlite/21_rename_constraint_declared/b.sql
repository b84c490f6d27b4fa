CREATE TABLE parent (id integer PRIMARY KEY);
CREATE TABLE child (
  id integer PRIMARY KEY,
  parent_id integer,
  qty integer,
  CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id), -- sqlx:rename-from child_parent
  CONSTRAINT child_qty_check CHECK (qty > 0) -- sqlx:rename-from qty_positive
);

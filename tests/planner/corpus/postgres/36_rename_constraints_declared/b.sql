CREATE TABLE parent (id integer PRIMARY KEY, code text);
CREATE TABLE child (
  id integer,
  parent_id integer,
  qty integer,
  sku text,
  CONSTRAINT child_pkey PRIMARY KEY (id), -- sqlx:rename-from child_pk
  CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent (id), -- sqlx:rename-from child_parent
  CONSTRAINT child_qty_check CHECK (qty > 0), -- sqlx:rename-from qty_positive
  CONSTRAINT child_sku_key UNIQUE (sku) -- sqlx:rename-from sku_unique
);
-- sqlx:rename-from parent_code_uq
ALTER TABLE parent
  ADD CONSTRAINT parent_code_key UNIQUE (code);

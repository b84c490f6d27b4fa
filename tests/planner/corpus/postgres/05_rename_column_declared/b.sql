CREATE TABLE orders (
  id integer PRIMARY KEY,
  note text, -- sqlx:rename-from remark
  total integer CHECK (total > 0)
);
CREATE INDEX orders_remark_idx ON orders (note);

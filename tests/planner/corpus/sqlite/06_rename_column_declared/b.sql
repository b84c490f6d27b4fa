CREATE TABLE orders (
  id integer PRIMARY KEY,
  note text -- sqlx:rename-from remark
);
CREATE INDEX orders_remark_idx ON orders (note);

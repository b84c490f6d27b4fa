CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (
  id integer PRIMARY KEY AUTOINCREMENT,
  customer_id integer NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  total numeric NOT NULL DEFAULT 0 CHECK (total >= 0)
);
CREATE INDEX orders_customer_idx ON orders (customer_id);

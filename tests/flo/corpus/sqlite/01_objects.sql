-- Fidelity corpus for SQLite: one or more of every IR object kind the family supports
-- (SQLite has no schemas, sequences, user types, routines, extensions or partitioning).
CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL COLLATE NOCASE,
  name TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  bonus INTEGER DEFAULT (2 * 3),  -- an expression default: parenthesised in SQLite
  score REAL CHECK (score >= 0),
  CONSTRAINT customers_email_key UNIQUE (email)
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL,
  total NUMERIC NOT NULL DEFAULT 0,
  qty INTEGER NOT NULL,
  price NUMERIC NOT NULL,
  amount NUMERIC GENERATED ALWAYS AS (qty * price) STORED,
  label TEXT GENERATED ALWAYS AS ('#' || id) VIRTUAL,
  status TEXT NOT NULL DEFAULT 'new',
  CONSTRAINT orders_total_check CHECK (total >= 0),
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
    ON DELETE CASCADE
);
CREATE TABLE tags (
  order_id INTEGER NOT NULL REFERENCES orders (id),
  tag TEXT NOT NULL,
  PRIMARY KEY (order_id, tag)
) WITHOUT ROWID;
CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER) STRICT;
CREATE INDEX orders_status_idx ON orders (status) WHERE status <> 'done';
CREATE INDEX orders_lower_status ON orders (lower(status), total DESC);
CREATE UNIQUE INDEX orders_customer_status ON orders (customer_id, status);
CREATE VIEW open_orders AS SELECT id, total FROM orders WHERE status <> 'done';
CREATE VIEW big_open_orders AS SELECT id FROM open_orders WHERE total > 100;
CREATE TRIGGER orders_touch AFTER INSERT ON orders
BEGIN
  UPDATE orders SET status = lower(NEW.status) WHERE id = NEW.id;
END;
-- the tool's own journal: never part of a learned snapshot
CREATE TABLE sqlx_journal (id INTEGER PRIMARY KEY, note TEXT);

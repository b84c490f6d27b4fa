-- Every IR object kind SQLite has, in desired-state form.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT DEFAULT 'anon' COLLATE NOCASE,
    score REAL CHECK (score >= 0),
    doubled REAL GENERATED ALWAYS AS (score * 2) VIRTUAL,
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT email_len CHECK (length(email) > 3)
);
CREATE TABLE orders (
    id INTEGER NOT NULL,
    customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped')),
    total NUMERIC DEFAULT 0,
    PRIMARY KEY (id),
    CONSTRAINT orders_unique_status UNIQUE (customer_id, status)
) WITHOUT ROWID;
CREATE TABLE tags (name TEXT PRIMARY KEY, weight INT) STRICT;
CREATE UNIQUE INDEX customers_lower_email ON customers (lower(email));
CREATE INDEX orders_open ON orders (customer_id DESC, status) WHERE status <> 'shipped';
CREATE VIEW paid_orders AS SELECT id, customer_id, total FROM orders WHERE status = 'paid';
CREATE VIEW big_paid AS SELECT id FROM paid_orders WHERE total > 100;
CREATE TRIGGER orders_default_total AFTER INSERT ON orders
BEGIN
    UPDATE orders SET total = 0 WHERE id = NEW.id AND total IS NULL;
END;

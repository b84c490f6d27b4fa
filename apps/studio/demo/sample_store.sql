-- The bundled sample database of the demo workspace: a small shop, with the kinds of
-- objects the Studio learns (tables, keys, foreign keys, checks, indexes, a view, a trigger).
PRAGMA foreign_keys = ON;

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    full_name   TEXT NOT NULL,
    country     TEXT NOT NULL DEFAULT 'NL',
    created_at  TEXT NOT NULL DEFAULT (datetime('now'))
);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    sku         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    active      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
    placed_at   TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_open_idx ON orders (placed_at) WHERE status IN ('new', 'paid');

CREATE TABLE order_items (
    order_id    INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products(id),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    price_cents INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

CREATE VIEW order_totals AS
    SELECT o.id AS order_id, o.customer_id, SUM(i.quantity * i.price_cents) AS total_cents
    FROM orders o JOIN order_items i ON i.order_id = o.id
    GROUP BY o.id, o.customer_id;

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    order_id  INTEGER NOT NULL,
    note      TEXT NOT NULL,
    at        TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TRIGGER orders_status_audit AFTER UPDATE OF status ON orders
BEGIN
    INSERT INTO audit_log (order_id, note) VALUES (NEW.id, 'status ' || OLD.status || ' -> ' || NEW.status);
END;

INSERT INTO customers (id, email, full_name, country) VALUES
    (1, 'ada@example.com', 'Ada Lovelace', 'GB'),
    (2, 'grace@example.com', 'Grace Hopper', 'US'),
    (3, 'edsger@example.com', 'Edsger Dijkstra', 'NL');
INSERT INTO products (id, sku, name, price_cents) VALUES
    (1, 'KB-01', 'Mechanical keyboard', 12900),
    (2, 'MS-02', 'Trackball', 5900),
    (3, 'MN-27', '27" monitor', 32900);
INSERT INTO orders (id, customer_id, status) VALUES (1, 1, 'paid'), (2, 2, 'new'), (3, 3, 'shipped');
INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES
    (1, 1, 1, 12900), (1, 2, 2, 5900), (2, 3, 1, 32900), (3, 2, 1, 5900);

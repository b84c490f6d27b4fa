-- Fidelity corpus for PostgreSQL: one or more of every IR object kind the family supports.
-- Runs in a fresh database; tests/flo/test_fidelity.py learns it, renders it, re-creates it.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application objects';
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.posint AS integer DEFAULT 1 NOT NULL CHECK (VALUE > 0);
CREATE TYPE app.pair AS (a integer, b text);
CREATE SEQUENCE app.invoice_no START 1000 INCREMENT 5 MINVALUE 1000 MAXVALUE 999999 CACHE 10 CYCLE;
CREATE TABLE app.customers (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email citext NOT NULL,
  name varchar(200) NOT NULL DEFAULT '',
  mood app.mood DEFAULT 'ok',
  created_at timestamptz NOT NULL DEFAULT now(),
  score numeric(12,4) CHECK (score >= 0),
  tags text[] DEFAULT '{}',
  nick text COLLATE "C",
  "user" text CHECK ("user" <> ''),  -- a reserved word as a name: quoted wherever it is written
  CONSTRAINT customers_email_key UNIQUE (email)
);
COMMENT ON TABLE app.customers IS 'people who buy';
COMMENT ON COLUMN app.customers.email IS 'login';
CREATE TABLE app.orders (
  id bigserial PRIMARY KEY,
  customer_id integer NOT NULL,
  invoice integer DEFAULT nextval('app.invoice_no'),
  total numeric(12,2) NOT NULL DEFAULT 0,
  qty integer NOT NULL,
  price numeric(10,2) NOT NULL,
  amount numeric GENERATED ALWAYS AS (qty * price) STORED,
  status text NOT NULL DEFAULT 'new',
  CONSTRAINT orders_total_check CHECK (total >= 0),
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES app.customers (id)
    ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX orders_status_idx ON app.orders (status) WHERE status <> 'done';
CREATE INDEX orders_lower_status ON app.orders (lower(status), total DESC NULLS LAST);
CREATE UNIQUE INDEX orders_invoice_uq ON app.orders USING btree (invoice) INCLUDE (total);
CREATE INDEX customers_tags_gin ON app.customers USING gin (tags);
CREATE TABLE app.events (id bigint NOT NULL, at date NOT NULL, payload jsonb) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE public.notes (id integer PRIMARY KEY, body text NOT NULL, pair app.pair, n app.posint);
CREATE VIEW app.open_orders AS SELECT id, total FROM app.orders WHERE status <> 'done';
CREATE VIEW app.big_open_orders AS SELECT id FROM app.open_orders WHERE total > 100;
COMMENT ON VIEW app.open_orders IS 'not yet done';
CREATE MATERIALIZED VIEW app.order_totals AS
  SELECT customer_id, sum(total) AS total FROM app.orders GROUP BY customer_id;
CREATE UNIQUE INDEX order_totals_customer ON app.order_totals (customer_id);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.status := lower(NEW.status);
  RETURN NEW;
END
$$;
CREATE FUNCTION app.add(a integer, b integer DEFAULT 1) RETURNS integer LANGUAGE sql IMMUTABLE
  AS $$ SELECT a + b $$;
CREATE PROCEDURE app.archive(days integer) LANGUAGE sql AS $$ DELETE FROM app.orders WHERE false $$;
CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON app.orders
  FOR EACH ROW EXECUTE FUNCTION app.touch();
-- the tool's own journal: never part of a learned snapshot
CREATE TABLE public.sqlx_journal (id integer PRIMARY KEY, note text);

-- Every IR object kind PostgreSQL has, in desired-state form.
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application objects';
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a int, b text);
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE SEQUENCE app.order_seq AS integer START WITH 100 INCREMENT BY 5 MINVALUE 1 MAXVALUE 100000 CACHE 10 CYCLE;

CREATE TABLE app.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE,
    "Display Name" text DEFAULT 'anon' COLLATE "C",
    score numeric(12, 4) CHECK (score >= 0),
    doubled numeric GENERATED ALWAYS AS (score * 2) STORED,
    m mood DEFAULT 'ok',
    created timestamptz NOT NULL DEFAULT now(),
    tags text[] DEFAULT '{}',
    CONSTRAINT email_len CHECK (length(email) > 3) NOT VALID,
    UNIQUE ("Display Name", email) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE app.customers IS 'people who buy';
COMMENT ON COLUMN app.customers.email IS 'login';

CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer_id bigint REFERENCES app.customers (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped')),
    total numeric(10, 2) DEFAULT 0,
    placed date NOT NULL DEFAULT CURRENT_DATE,
    CONSTRAINT orders_total_positive CHECK (total >= 0 AND total < 1000000)
) PARTITION BY RANGE (id);
CREATE TABLE orders_low PARTITION OF orders FOR VALUES FROM (1) TO (1000);
CREATE TABLE orders_high PARTITION OF orders FOR VALUES FROM (1000) TO (MAXVALUE);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk2 FOREIGN KEY (customer_id)
    REFERENCES app.customers (id) MATCH FULL ON UPDATE SET NULL DEFERRABLE;

CREATE UNIQUE INDEX customers_lower_email ON app.customers USING btree (lower(email) DESC NULLS LAST, "Display Name" text_pattern_ops) INCLUDE (score) WHERE score > 0;
CREATE INDEX ON app.customers (created);
CREATE INDEX customers_tags ON app.customers USING gin (tags);
CREATE VIEW paid_orders AS SELECT id, customer_id, total FROM orders WHERE status = 'paid';
CREATE VIEW big_paid AS SELECT id FROM paid_orders WHERE total > 100;
CREATE MATERIALIZED VIEW order_totals AS SELECT customer_id, sum(total) AS spent FROM orders GROUP BY customer_id WITH NO DATA;
CREATE INDEX order_totals_spent ON order_totals (spent);
COMMENT ON VIEW paid_orders IS 'only paid';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.placed := CURRENT_DATE;
    RETURN NEW;
END
$$;
CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
CREATE PROCEDURE archive(days integer) LANGUAGE sql AS $$ DELETE FROM orders WHERE placed < CURRENT_DATE - days $$;

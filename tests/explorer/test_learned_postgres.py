"""A real PostgreSQL database, learned through the platform, browsed in the explorer: what
the pages show comes from the catalog the engine read, evidence included."""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg

from apps.connections import actions
from apps.connections.learning import learn_connection
from tests.explorer.factory import split

SHOP = """
CREATE TABLE customer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       email text NOT NULL UNIQUE);
CREATE TABLE orders (id bigint PRIMARY KEY,
                     customer_id bigint REFERENCES customer(id) ON DELETE RESTRICT,
                     total numeric(10,2) NOT NULL DEFAULT 0,
                     created date DEFAULT CURRENT_DATE);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
"""


def test_learned_postgres_database_browses_with_keys_both_ways(
    world, host_client, fresh_pg_database
):
    with psycopg.connect(fresh_pg_database, autocommit=True) as db:
        db.execute(SHOP)
    url, password = split(fresh_pg_database)
    owner = world.users["owner"]
    conn = actions.do_create_connection(world.acme, owner, "shop", url, password=password)
    name = urlsplit(url).path.lstrip("/")
    result = learn_connection(conn, owner, databases=[name])
    assert result.ok, result.message

    page = host_client(world.users["viewer"], "acme.localhost")
    detail = page.get(f"/connections/{conn.pk}/").content.decode()
    assert name in detail and "Capability matrix" in detail
    assert "SELECT" in detail and "verdict-yes" in detail  # probes and their answers
    assert password not in detail

    base = f"/explore/{conn.pk}/table/?db={name}&schema=public&name="
    orders = page.get(base + "orders").content.decode()
    assert "numeric(10,2)" in orders and "orders_customer" in orders
    assert f'href="{(base + "customer").replace("&", "&amp;")}"' in orders
    assert "REFERENCES public.customer (id) ON DELETE RESTRICT" in orders
    customer = page.get(base + "customer").content.decode()
    referenced_by = customer.split("<h2>Referenced by</h2>")[1]
    assert "orders" in referenced_by and "customer_id" in referenced_by
    assert "identity (always)" in customer

    found = page.get(f"/explore/{conn.pk}/search/", {"q": "total"}).content.decode()
    assert "1 match for “total”" in found and "#col-total" in found
    svg = page.get(f"/explore/{conn.pk}/er.svg?db={name}").content.decode()
    assert 'data-table="public.orders"' in svg and 'data-table="public.customer"' in svg

"""A real MariaDB database, learned and browsed: families whose database is the namespace
(schema "") get the same pages, links and keys both ways."""

from __future__ import annotations

from urllib.parse import urlsplit

from apps.connections import actions
from apps.connections.learning import learn_connection
from tests._services import mariadb_connect
from tests.explorer.factory import split

SHOP = [
    "CREATE TABLE customer (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
    " email VARCHAR(200) NOT NULL UNIQUE)",
    "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT,"
    " total DECIMAL(10,2) NOT NULL DEFAULT 0, KEY orders_customer (customer_id),"
    " CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customer(id))",
]


def test_learned_mariadb_database_browses_without_a_schema(
    world, host_client, fresh_mariadb_database
):
    with mariadb_connect(fresh_mariadb_database) as db, db.cursor() as cur:
        for statement in SHOP:
            cur.execute(statement)
    url, password = split(fresh_mariadb_database)
    owner = world.users["owner"]
    conn = actions.do_create_connection(world.acme, owner, "shop", url, password=password)
    name = urlsplit(url).path.lstrip("/")
    assert learn_connection(conn, owner, databases=[name]).ok

    page = host_client(world.users["viewer"], "acme.localhost")
    tables = page.get(f"/explore/{conn.pk}/?db={name}&kind=tables", HTTP_HX_REQUEST="true")
    link = f"/explore/{conn.pk}/table/?db={name}&amp;name=customer"
    assert f'href="{link}">customer</a>' in tables.content.decode()

    customer = page.get(link.replace("&amp;", "&")).content.decode()
    assert "auto_increment" in customer
    assert "orders_customer_fk" in customer.split("<h2>Referenced by</h2>")[1]
    orders = page.get(f"/explore/{conn.pk}/table/?db={name}&name=orders").content.decode()
    assert "REFERENCES customer (id)" in orders and "orders_customer" in orders
    assert password not in orders
    svg = page.get(f"/explore/{conn.pk}/er.svg?db={name}&name=orders").content.decode()
    assert 'data-table="customer"' in svg and 'data-table="orders"' in svg

"""THE LEAK TEST (issue #6): a recognisable password never reaches the platform database, the
logs, task results or any page, whatever goes wrong.

Real users with the canary password are made on PostgreSQL and MariaDB; connections are
created with it (and a wrong variant of it); learn jobs run through the Celery task with
errors forced (a database that does not exist, a closed port, a wrong password, a database
the user may not read) next to one that works; every connection page, the test button, the
audit timeline and the admin are rendered. Then every log record (DEBUG, every logger, SQL
with parameters), everything printed, every page, every task result, every row of every
model and every raw table is searched for the password, in plain, hex and base64 form.
"""

from __future__ import annotations

import base64
import logging
import uuid
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps as django_apps
from django.db import connection as platform_db
from psycopg import sql

from apps.connections import actions
from apps.jobs.tasks import learn_connection_task
from tests._services import mariadb_connect


def forms_of(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)]


def leaks_in(haystack: bytes | str, secret: str) -> list[str]:
    data = haystack if isinstance(haystack, bytes) else haystack.encode("utf-8", "replace")
    lowered = data.lower()
    return [f.decode() for f in forms_of(secret) if f in data or f.lower() in lowered]


def server_url(admin_url: str, user: str, database: str, port: int | None = None) -> str:
    """The admin URL's host, with another user and database and no password."""
    from urllib.parse import urlsplit

    parts = urlsplit(admin_url)
    return f"{parts.scheme}://{quote(user)}@{parts.hostname}:{port or parts.port}/{database}"


@pytest.fixture
def pg_canary_user(pg_url, pg_shop, canary):
    role = f"leak_{uuid.uuid4().hex[:10]}"
    shop = pg_shop.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(canary)
            )
        )
    with psycopg.connect(pg_shop, autocommit=True) as conn:
        grant = "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}"
        conn.execute(sql.SQL(grant).format(sql.Identifier(role)))
    yield role, shop
    with psycopg.connect(pg_shop, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def mariadb_canary_user(mariadb_url, mariadb_shop, canary):
    user = f"leak_{uuid.uuid4().hex[:10]}"
    shop = mariadb_shop.rsplit("/", 1)[1]
    locked = f"nublox_locked_{uuid.uuid4().hex[:10]}"
    with mariadb_connect(mariadb_url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (canary,))
        cur.execute(f"GRANT SELECT ON `{shop}`.* TO '{user}'@'%'")
        cur.execute(f"CREATE DATABASE `{locked}`")
    yield user, shop, locked
    with mariadb_connect(mariadb_url) as conn, conn.cursor() as cur:
        cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        cur.execute(f"DROP DATABASE IF EXISTS `{locked}`")


@pytest.fixture
def all_logs(caplog):
    """Every logger at DEBUG, and SQL logged with its parameters."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    platform_db.force_debug_cursor = True
    yield caplog
    platform_db.force_debug_cursor = False


def dump_models() -> list[str]:
    found = []
    for model in django_apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.values_list(*names):
            found.append(f"{model._meta.label}: " + " | ".join(map(_text, row)))
    return found


def dump_tables() -> list[bytes]:
    found = []
    with platform_db.cursor() as cursor:
        for table in platform_db.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {platform_db.ops.quote_name(table)}")
            for row in cursor.fetchall():
                found.append(table.encode() + b": " + b" | ".join(map(_bytes, row)))
    return found


def _bytes(value) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "replace")


def _text(value) -> str:
    return _bytes(value).decode("utf-8", "replace")


def test_the_password_is_nowhere(
    world,
    acme,
    owner,
    host_client,
    all_logs,
    capfd,
    eager_celery,
    pg_url,
    mariadb_url,
    pg_canary_user,
    pg_locked_database,
    mariadb_canary_user,
    closed_port,
    canary,
):
    pg_role, pg_db = pg_canary_user
    my_user, my_db, my_locked = mariadb_canary_user
    wrong = f"{canary}-WRONG"
    scenarios = {
        # name: (url without password, password, databases to learn)
        "pg ok + locked": (server_url(pg_url, pg_role, pg_db), canary, [pg_db, pg_locked_database]),
        "pg no such db": (server_url(pg_url, pg_role, "no_such_db_x"), canary, None),
        "pg wrong pw": (server_url(pg_url, pg_role, pg_db), wrong, None),
        "pg closed port": (server_url(pg_url, pg_role, pg_db, closed_port), canary, None),
        "my ok + locked": (server_url(mariadb_url, my_user, my_db), canary, [my_db, my_locked]),
        "my no such db": (server_url(mariadb_url, my_user, "no_such_db_x"), canary, None),
        "my wrong pw": (server_url(mariadb_url, my_user, my_db), wrong, None),
        "my closed port": (server_url(mariadb_url, my_user, "", closed_port), canary, None),
    }
    connections, results = {}, []
    for name, (url, password, databases) in scenarios.items():
        conn = actions.do_create_connection(acme, owner, name, url, password=password)
        connections[name] = conn
        results.append(learn_connection_task.delay(conn.pk, owner.pk, databases).get())

    # The scenarios did happen: one success each, and every forced error was recorded.
    by_name = dict(zip(scenarios, results, strict=True))
    assert by_name["pg ok + locked"]["learned"].keys() == {pg_db}
    assert pg_locked_database in by_name["pg ok + locked"]["failed"]
    assert by_name["my ok + locked"]["learned"].keys() == {my_db}
    assert my_locked in by_name["my ok + locked"]["message"]
    for name in scenarios:
        if "ok" not in name:
            assert not by_name[name]["ok"], name
    assert "user name or password" in by_name["pg wrong pw"]["message"]
    assert "Nothing is listening" in by_name["my closed port"]["message"]

    pages = []
    page = host_client(owner, "acme.localhost")
    pages += [page.get("/"), page.get("/connections/"), page.get("/audit/")]
    for conn in connections.values():
        pages += [page.get(f"/connections/{conn.pk}/"), page.post(f"/connections/{conn.pk}/test/")]
        pages.append(page.post(f"/connections/{conn.pk}/test/", HTTP_HX_REQUEST="true"))
    owner.is_staff = owner.is_superuser = True
    owner.save()
    staff = host_client(owner, "localhost")
    for path in ("connection", "databaseschema", "connectionpolicy"):
        pages.append(staff.get(f"/admin/connections/{path}/"))
    for conn in connections.values():
        pages.append(staff.get(f"/admin/connections/connection/{conn.pk}/change/"))
    assert all(p.status_code == 200 for p in pages), [p.status_code for p in pages]
    assert all(name.encode() in pages[1].content for name in scenarios)
    pg_hash = by_name["pg ok + locked"]["learned"][pg_db]
    assert pg_hash.encode() in pages[3].content  # the first connection's detail page

    haystacks: dict[str, list[bytes | str]] = {
        "log records": [r.getMessage() for r in all_logs.records]
        + [str(r.args) for r in all_logs.records],
        "log text": [all_logs.text],
        "printed": list(capfd.readouterr()),
        "pages": [p.content for p in pages],
        "task results": [repr(r) for r in results],
        "models": dump_models(),
        "tables": dump_tables(),
    }
    assert any("secret.read" in row for row in haystacks["models"])  # the dump sees events
    assert any(b"INSERT" in r.encode() for r in haystacks["log text"])  # SQL was logged
    for secret in (canary, wrong):
        found = {
            where: hits
            for where, items in haystacks.items()
            if (hits := [h for item in items for h in leaks_in(item, secret)])
        }
        assert found == {}, f"the password leaked into: {sorted(found)}"


def test_the_leak_scan_finds_a_planted_password(world, acme, canary):
    """The scan itself works: a password planted in a row, a log line or bytes is found."""
    from apps.connections.models import Connection

    Connection.objects.filter(workspace=acme).update(last_error=f"oops {canary}")
    assert any(leaks_in(row, canary) for row in dump_models())
    assert any(leaks_in(row, canary) for row in dump_tables())
    assert leaks_in(canary.encode().hex(), canary) and leaks_in(b"x" + canary.encode(), canary)
    assert leaks_in("nothing here", canary) == []

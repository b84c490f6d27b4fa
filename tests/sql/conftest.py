"""Fixtures for the SQL editor: one small table `t` (three rows) on a real PostgreSQL,
MariaDB and SQLite database, each as a connection of acme, plus a function that writes
(`bump()`, inserting into `t`) where the server has stored functions.

`family_target` is parametrised over the three; each test that takes it runs on all.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from dataclasses import dataclass
from html import unescape

import psycopg
import pytest

from apps.connections import actions
from tests._services import mariadb_connect
from tests.connections.conftest import split_url

PG_SETUP = """
CREATE TABLE t (id integer PRIMARY KEY, v text);
INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, NULL);
CREATE FUNCTION bump() RETURNS integer LANGUAGE plpgsql VOLATILE AS
  $$ BEGIN INSERT INTO t VALUES (100, 'bumped'); RETURN 1; END $$;
"""
MARIADB_SETUP = [
    "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)",
    "INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, NULL)",
    "CREATE FUNCTION bump() RETURNS INT MODIFIES SQL DATA NOT DETERMINISTIC"
    " BEGIN INSERT INTO t VALUES (100, 'bumped'); RETURN 1; END",
]
SQLITE_SETUP = (
    "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
    "INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, NULL);"
)


@pytest.fixture(autouse=True)
def _file_databases_in_tmp(settings, tmp_path):
    """Connections in these tests may open SQLite files in the test's own folder."""
    settings.FILE_DATABASE_DIRS = [*settings.FILE_DATABASE_DIRS, tmp_path.resolve()]


@dataclass
class Target:
    family: str
    connection: object
    rows: object  # () -> list of (id, v) in table t, read outside the editor
    password: str = ""


def _pg(world, url) -> Target:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(PG_SETUP)

    def rows():
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT id, v FROM t ORDER BY id").fetchall()

    bare, password = split_url(url)
    owner = world.users["owner"]
    conn = actions.do_create_connection(world.acme, owner, "pg", bare, password=password)
    return Target("postgres", conn, rows, password)


def _mariadb(world, url) -> Target:
    with mariadb_connect(url) as conn, conn.cursor() as cur:
        for statement in MARIADB_SETUP:
            cur.execute(statement)

    def rows():
        with mariadb_connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT id, v FROM t ORDER BY id")
            return [tuple(row) for row in cur.fetchall()]

    bare, password = split_url(url)
    owner = world.users["owner"]
    conn = actions.do_create_connection(world.acme, owner, "maria", bare, password=password)
    return Target("mysql", conn, rows, password)


def _sqlite(world, path) -> Target:
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(SQLITE_SETUP)

    def rows():
        with contextlib.closing(sqlite3.connect(path)) as db:
            return db.execute("SELECT id, v FROM t ORDER BY id").fetchall()

    owner = world.users["owner"]
    conn = actions.do_create_connection(world.acme, owner, "file", f"sqlite:///{path}")
    return Target("sqlite", conn, rows)


@pytest.fixture
def pg_target(world, fresh_pg_database):
    return _pg(world, fresh_pg_database)


@pytest.fixture
def mariadb_target(world, fresh_mariadb_database):
    return _mariadb(world, fresh_mariadb_database)


@pytest.fixture
def sqlite_target(world, tmp_path):
    return _sqlite(world, tmp_path / "editor.db")


@pytest.fixture(params=["pg_target", "mariadb_target", "sqlite_target"])
def family_target(request):
    return request.getfixturevalue(request.param)


ORIGINAL_ROWS = [(1, "one"), (2, "two"), (3, None)]


def error_of(html: str) -> str:
    """The text of the page's error message ("" when there is none)."""
    found = re.search(r'<div class="msg msg-error" role="alert">(.*?)</div>', html, re.S)
    return unescape(found.group(1)) if found else ""


@pytest.fixture
def editor(host_client):
    """post(user, sql, **fields) -> the response of a run through the page."""

    def post(user, target, sql, path="/sql/run/", **fields):
        client = host_client(user, "acme.localhost")
        data = {
            "target": str(target.connection.pk),
            "sql": sql,
            "row_limit": 1000,
            "timeout_s": 30,
            "query_id": "0" * 32,
            "run": "1",
            **fields,
        }
        return client.post(path, data)

    return post

"""Probes leave no state: catalogs, session variables and the transaction state are the
same before and after learn_server, and a session inside a transaction is refused (the
probes' ROLLBACK would otherwise end the caller's transaction)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from engine import InterfaceError, connect
from engine.flo import learn_server, list_databases

PG_CATALOG = (
    "SELECT (SELECT count(*) FROM pg_class), (SELECT count(*) FROM pg_namespace),"
    " (SELECT count(*) FROM pg_type), (SELECT count(*) FROM pg_depend)"
)
PG_SETTINGS = "SELECT name, setting FROM pg_settings ORDER BY name"
MARIADB_CATALOG = (
    "SELECT (SELECT count(*) FROM information_schema.TABLES),"
    " (SELECT count(*) FROM information_schema.SCHEMATA),"
    " (SELECT count(*) FROM information_schema.ROUTINES)"
)
#: session variables that move by themselves (the clock)
VOLATILE = {"timestamp"}


def test_postgresql_probes_leave_no_state(fresh_pg_database):
    with connect(fresh_pg_database) as s:
        catalog = s.query(PG_CATALOG).rows
        settings = s.query(PG_SETTINGS).rows
        learn_server(s)
        assert s.query(PG_CATALOG).rows == catalog
        assert s.query(PG_SETTINGS).rows == settings
        # not left inside a transaction: now() moves between statements again
        assert s.query("SELECT now() <> statement_timestamp()").scalar() is False
        assert s.server.get("tx_status") == "I"
        assert s.query("SELECT to_regclass('pg_temp.nublox_flo_probe')").scalar() is None


def test_mariadb_probes_leave_no_state(fresh_mariadb_database):
    with connect(fresh_mariadb_database) as s:
        catalog = s.query(MARIADB_CATALOG).rows
        variables = {k: v for k, v in s.query("SHOW SESSION VARIABLES").rows if k not in VOLATILE}
        learn_server(s)
        assert s.query(MARIADB_CATALOG).rows == catalog
        after = {k: v for k, v in s.query("SHOW SESSION VARIABLES").rows if k not in VOLATILE}
        assert after == variables
        assert s.query("SELECT @@in_transaction").scalar() == 0


def test_sqlite_probes_leave_the_file_untouched(tmp_path: Path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO t (name) VALUES ('a')")
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with connect(f"sqlite:///{path}") as s:
        schema = s.query("SELECT type, name, sql FROM sqlite_master ORDER BY name").rows
        learn_server(s)
        assert s.query("SELECT type, name, sql FROM sqlite_master ORDER BY name").rows == schema
        assert s.query("SELECT count(*) FROM sqlite_temp_master").scalar() == 0
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_postgresql_refuses_a_session_in_a_transaction(pg_url):
    with connect(pg_url) as s:
        s.query("BEGIN")
        s.query("CREATE TEMP TABLE keep_me (x int)")
        with pytest.raises(InterfaceError, match="outside a transaction"):
            learn_server(s)
        # the caller's transaction is untouched: its table is still there
        assert s.query("SELECT to_regclass('pg_temp.keep_me') IS NOT NULL").scalar() is True
        s.query("ROLLBACK")


def test_mariadb_refuses_a_session_in_a_transaction(mariadb_url):
    with connect(mariadb_url) as s:
        s.query("START TRANSACTION")
        with pytest.raises(InterfaceError, match="outside a transaction"):
            learn_server(s)
        assert s.query("SELECT @@in_transaction").scalar() == 1
        s.query("ROLLBACK")


def test_list_databases_postgresql(fresh_pg_database, pg_url):
    name = fresh_pg_database.rsplit("/", 1)[1]
    with connect(pg_url) as s:
        users = list_databases(s)
        everything = list_databases(s, include_system=True)
    assert name in users and "template0" not in users
    assert "template0" in everything and set(users) < set(everything)
    assert users == sorted(users)


def test_list_databases_mariadb(fresh_mariadb_database, mariadb_url):
    name = fresh_mariadb_database.rsplit("/", 1)[1]
    with connect(mariadb_url) as s:
        users = list_databases(s)
        everything = list_databases(s, include_system=True)
    assert name in users
    assert not {"mysql", "information_schema", "performance_schema", "sys"} & set(users)
    assert {"mysql", "information_schema"} <= set(everything)


def test_list_databases_sqlite(tmp_path):
    with connect(f"sqlite:///{tmp_path}/x.db") as s:
        assert list_databases(s) == ["main"]

"""`sqlx learn` and `sqlx snapshot:pull` end to end on the real servers (they call
engine.flo.database.learn_database; without that module they must say so clearly)."""

from __future__ import annotations

import json
import sqlite3
import sys

import pytest

from engine import cli, ir


def db_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def run_pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def run_mariadb(url: str, sql: str) -> None:
    from tests._services import mariadb_connect

    with mariadb_connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.execute("CREATE INDEX item_name ON item (name)")
        db.execute("CREATE VIEW item_names AS SELECT name FROM item")
    db.close()
    return f"sqlite:///{path}"


@pytest.mark.parametrize("command", ["learn", "snapshot:pull"])
def test_without_the_database_level_the_commands_say_so(command, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "engine.flo.database", None)  # import -> ImportError
    assert cli.main([command, "sqlite:///:memory:"]) == 2
    assert "not available" in capsys.readouterr().err


def test_learn_postgresql_url_database(fresh_pg_database, capsys):
    run_pg(fresh_pg_database, "CREATE TABLE item (id int PRIMARY KEY, name text)")
    run_pg(fresh_pg_database, "CREATE VIEW item_names AS SELECT name FROM item")
    assert cli.main(["learn", fresh_pg_database]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(db_name(fresh_pg_database)))
    cells = row.split()
    assert cells[1:3] == ["1", "1"]  # one table, one view
    assert cells[-1].startswith("sha256:")
    assert "flavour      postgresql" in out


def test_learn_mariadb_databases_json(fresh_mariadb_database, mariadb_url, capsys):
    name = db_name(fresh_mariadb_database)
    run_mariadb(fresh_mariadb_database, "CREATE TABLE a (id INT PRIMARY KEY)")
    run_mariadb(fresh_mariadb_database, "CREATE TABLE b (id INT PRIMARY KEY, KEY k (id))")
    assert cli.main(["learn", mariadb_url, "--databases", name, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["server"]["flavour"] == "mariadb"
    assert [d["name"] for d in doc["databases"]] == [name]
    assert doc["databases"][0]["counts"]["tables"] == 2
    assert doc["databases"][0]["profile_hash"].startswith("sha256:")


def test_learn_all_databases_skips_system_ones_unless_asked(
    fresh_mariadb_database, mariadb_url, capsys
):
    assert cli.main(["learn", mariadb_url, "--all-databases", "--json"]) == 0
    names = [d["name"] for d in json.loads(capsys.readouterr().out)["databases"]]
    assert db_name(fresh_mariadb_database) in names and "mysql" not in names
    argv = ["learn", mariadb_url, "--all-databases", "--include-system", "--json"]
    assert cli.main(argv) == 0
    names = [d["name"] for d in json.loads(capsys.readouterr().out)["databases"]]
    assert "mysql" in names


def test_learn_unknown_database_exit_2(mariadb_url, capsys):
    assert cli.main(["learn", mariadb_url, "--databases", "no_such_db_here"]) == 2
    err = capsys.readouterr().err
    assert "no database no_such_db_here" in err and password_free(err, mariadb_url)


def password_free(text: str, url: str) -> bool:
    from tests.engine.sessionchecks import password_of

    return password_of(url) not in text


def test_snapshot_pull_sqlite_to_file(sqlite_url, tmp_path, capsys):
    target = tmp_path / "out" / "shop.snapshot.json"
    target.parent.mkdir()
    assert cli.main(["snapshot:pull", sqlite_url, "-o", str(target)]) == 0
    err = capsys.readouterr().err
    snapshot = ir.loads(target.read_text(encoding="utf-8"))
    assert [t.name for t in snapshot.tables] == ["item"]
    assert [v.name for v in snapshot.views] == ["item_names"]
    assert ir.profile_hash(snapshot) in err  # "wrote FILE: database main, sha256:..."
    again = tmp_path / "again.json"
    assert cli.main(["snapshot:pull", sqlite_url, "-o", str(again)]) == 0
    assert ir.profile_hash(ir.loads(again.read_text())) == ir.profile_hash(snapshot)


def test_snapshot_pull_postgresql_to_stdout(fresh_pg_database, pg_url, capsys):
    run_pg(fresh_pg_database, "CREATE TABLE item (id int PRIMARY KEY, price numeric(10,2))")
    name = db_name(fresh_pg_database)
    assert cli.main(["snapshot:pull", pg_url, "--database", name]) == 0
    snapshot = ir.loads(capsys.readouterr().out)
    assert [t.name for t in snapshot.tables] == ["item"]
    assert snapshot.dialect == "postgres"


def test_snapshot_pull_needs_a_database_when_ambiguous(fresh_mariadb_database, capsys):
    base = fresh_mariadb_database.rsplit("/", 1)[0] + "/"
    # with two user databases on the server and none in the URL, it must ask
    from tests._services import _unique_name

    other = _unique_name()
    run_mariadb(base, f"CREATE DATABASE `{other}`")
    try:
        assert cli.main(["snapshot:pull", base]) == 2
        assert "--database NAME" in capsys.readouterr().err
    finally:
        run_mariadb(base, f"DROP DATABASE `{other}`")


def test_snapshot_pull_unwritable_output_exit_2(sqlite_url, tmp_path, capsys):
    target = tmp_path / "missing-dir" / "x.json"
    assert cli.main(["snapshot:pull", sqlite_url, "-o", str(target)]) == 2
    assert "cannot write" in capsys.readouterr().err

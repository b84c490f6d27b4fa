"""SQLite catalog -> IR: sqlite_schema + pragma functions in a handful of queries, with the
facts SQLite keeps only in the stored CREATE text filled from the IR's DDL parser."""

from __future__ import annotations

import sqlite3

import pytest

from engine import connect
from engine.flo import learn_database
from engine.flo.catalog import load_catalog
from engine.flo.server import server_fingerprint
from tests.flo.catalog_helpers import CORPUS, counting_queries


@pytest.fixture
def corpus_url(tmp_path):
    path = tmp_path / "corpus.db"
    with sqlite3.connect(path) as db:
        db.executescript((CORPUS / "sqlite" / "01_objects.sql").read_text())
    db.close()
    return f"sqlite:///{path}", path


@pytest.fixture
def snap(corpus_url):
    with connect(corpus_url[0]) as s:
        return learn_database(s, "main").snapshot


def test_tables_and_columns(snap):
    assert snap.dialect == "sqlite"
    assert [t.name for t in snap.tables] == ["customers", "kv", "orders", "tags"]
    customers = snap.table("", "customers")
    cols = {c.name: c for c in customers.columns}
    assert cols["email"].collation and cols["email"].collation.upper() == "NOCASE"
    assert cols["name"].default == "''" and not cols["name"].nullable
    assert cols["id"].identity is not None  # AUTOINCREMENT, from the stored text
    orders = snap.table("", "orders")
    assert orders.column("amount").generated_stored and orders.column("amount").generated
    assert orders.column("label").generated and not orders.column("label").generated_stored
    assert dict(snap.table("", "tags").options).get("without_rowid") == "true"
    assert dict(snap.table("", "kv").options).get("strict") == "true"


def test_constraints(snap):
    customers = snap.table("", "customers")
    assert customers.primary_key.columns == ("id",)
    assert [(u.name, u.columns) for u in customers.uniques] == [("customers_email_key", ("email",))]
    assert len(customers.checks) == 1 and "score" in customers.checks[0].expression
    orders = snap.table("", "orders")
    (fk,) = orders.foreign_keys
    assert (fk.name, fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete) == (
        "orders_customer_fk",
        ("customer_id",),
        "customers",
        ("id",),
        "CASCADE",
    )
    assert [c.name for c in orders.checks] == ["orders_total_check"]
    tags = snap.table("", "tags")
    assert tags.primary_key.columns == ("order_id", "tag")
    assert [(f.name, f.ref_table) for f in tags.foreign_keys] == [("", "orders")]


def test_indexes_views_triggers(snap):
    idx = {i.name: i for i in snap.table("", "orders").indexes}
    assert set(idx) == {"orders_status_idx", "orders_lower_status", "orders_customer_status"}
    assert "done" in idx["orders_status_idx"].predicate
    lower, total = idx["orders_lower_status"].parts
    assert lower.column is None and "status" in lower.expression.lower()
    assert total.column == "total" and total.descending
    assert idx["orders_customer_status"].unique
    views = {v.name: v for v in snap.views}
    assert set(views) == {"open_orders", "big_open_orders"}
    assert "done" in views["open_orders"].definition
    assert views["open_orders"].columns == ("id", "total")
    (trigger,) = snap.triggers
    assert (trigger.table, trigger.timing, trigger.events) == ("orders", "AFTER", ("INSERT",))


def test_stats_and_read_only(corpus_url):
    url, path = corpus_url
    before = path.read_bytes()
    with connect(url) as s:
        server = server_fingerprint(s)
        with counting_queries(s) as calls:
            db = learn_database(s, "main", server_fingerprint=server)
    assert path.read_bytes() == before  # not one byte of the file changed
    assert len(calls) == len(load_catalog("flo/sqlite").queries) + 2
    assert db.stats["counts"]["tables"] == 4
    assert db.stats["tables"]["orders"]["bytes"] > 0
    assert "sqlx_journal" not in db.stats["tables"]


def test_virtual_tables_are_left_out_and_odd_ddl_only_warns(tmp_path, monkeypatch):
    path = tmp_path / "v.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE VIRTUAL TABLE docs USING fts5(body);"
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER CHECK (n > 0));"
            "CREATE VIEW v AS SELECT id FROM t;"
        )
    db.close()
    import engine.ir
    from engine.ir.sqltokens import DDLParseError

    real = engine.ir.parse_ddl

    def picky(text, dialect):
        if "CREATE VIEW" in text:
            raise DDLParseError(
                "cannot read", line=3, statement="CREATE VIEW v AS SELECT id FROM t"
            )
        return real(text, dialect)

    monkeypatch.setattr(engine.ir, "parse_ddl", picky)
    with connect(f"sqlite:///{path}") as s:
        snap = learn_database(s, "main").snapshot
    assert [t.name for t in snap.tables] == ["t"]  # not docs, not its shadow tables
    assert [c.expression for c in snap.table("", "t").checks] == ["n > 0"]  # still filled
    assert [v.name for v in snap.views] == ["v"]
    (warning,) = snap.source["warnings"]
    assert "CREATE VIEW v" in warning

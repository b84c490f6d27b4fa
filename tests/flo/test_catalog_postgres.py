"""PostgreSQL catalog -> IR: the corpus learned from a real server holds every object with
the facts the DDL stated; learning is read-only and costs a fixed number of queries."""

from __future__ import annotations

import pytest

from engine import connect
from engine.flo import learn_database
from engine.flo.catalog import load_catalog
from engine.flo.server import server_fingerprint
from tests.flo.catalog_helpers import (  # noqa: F401
    corpus_files,
    counting_queries,
    databases,
    run_script,
)

CATALOG_FINGERPRINT = """
SELECT (SELECT md5(string_agg(c.oid::text || c.relname || c.relkind::text, ',' ORDER BY c.oid))
          FROM pg_class c),
       (SELECT md5(string_agg(a.attrelid::text || a.attname || a.atttypid::text, ','
                              ORDER BY a.attrelid, a.attnum)) FROM pg_attribute a),
       (SELECT count(*) FROM pg_proc), (SELECT count(*) FROM pg_depend)
"""


@pytest.fixture
def learned(databases):  # noqa: F811
    url, name = databases("postgres").new()
    run_script(url, corpus_files("postgres")[0].read_text())
    with connect(url) as s:
        return learn_database(s, name), url, name


def test_tables_columns_and_constraints(learned):
    db, _, name = learned
    snap = db.snapshot
    assert db.name == name and db.profile_hash.startswith("sha256:")
    assert [t.key for t in snap.tables] == [
        ("app", "customers"),
        ("app", "events"),
        ("app", "orders"),
        ("public", "notes"),
    ]  # sqlx_journal (the tool's own) and the partitions are not tables of their own
    customers = snap.table("app", "customers")
    cols = {c.name: c for c in customers.columns}
    assert [c.name for c in customers.columns][:3] == ["id", "email", "name"]
    assert cols["id"].identity == "always" and not cols["id"].nullable
    assert cols["name"].type == "varchar(200)" and cols["name"].default == "''"
    assert cols["created_at"].type == "timestamptz"
    assert cols["nick"].collation == "C"
    assert cols["email"].comment == "login" and customers.comment == "people who buy"
    assert customers.primary_key.columns == ("id",)
    assert [(u.name, u.columns) for u in customers.uniques] == [("customers_email_key", ("email",))]
    assert [c.name for c in customers.checks] == ["customers_score_check", "customers_user_check"]
    orders = snap.table("app", "orders")
    (fk,) = orders.foreign_keys
    assert (fk.name, fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns) == (
        "orders_customer_fk",
        ("customer_id",),
        "app",
        "customers",
        ("id",),
    )
    assert (fk.on_delete, fk.on_update, fk.deferrable, fk.initially_deferred) == (
        "CASCADE",
        "NO ACTION",
        True,
        True,
    )
    amount = orders.column("amount")
    assert amount.generated and amount.generated_stored
    assert "nextval" in orders.column("id").default.lower()


def test_indexes_views_partitions(learned):
    snap = learned[0].snapshot
    idx = {i.name: i for i in snap.table("app", "orders").indexes}
    assert set(idx) == {"orders_status_idx", "orders_lower_status", "orders_invoice_uq"}
    assert idx["orders_status_idx"].predicate is not None
    assert "done" in idx["orders_status_idx"].predicate
    lower, total = idx["orders_lower_status"].parts
    assert lower.column is None and "status" in lower.expression.lower()
    assert total.column == "total" and total.descending and total.nulls == "last"
    assert idx["orders_invoice_uq"].unique and idx["orders_invoice_uq"].include == ("total",)
    (gin,) = snap.table("app", "customers").indexes
    assert gin.method == "gin"
    views = {v.name: v for v in snap.views}
    assert set(views) == {"open_orders", "big_open_orders", "order_totals"}
    assert views["order_totals"].materialized
    assert [i.name for i in views["order_totals"].indexes] == ["order_totals_customer"]
    assert views["open_orders"].columns == ("id", "total")
    assert views["open_orders"].comment == "not yet done"
    part = snap.table("app", "events").partitioning
    assert part.strategy == "range" and part.key == ("at",)
    assert [p[0] for p in part.partitions] == ["events_2024", "events_2025"]


def test_types_sequences_routines_triggers_extensions(learned):
    snap = learned[0].snapshot
    types = {t.name: t for t in snap.types}
    assert types["mood"].kind == "enum" and types["mood"].labels == ("sad", "ok", "happy")
    assert types["posint"].kind == "domain" and "VALUE > 0" in types["posint"].definition
    assert types["pair"].kind == "composite"
    seqs = {s.name: s for s in snap.sequences}
    assert set(seqs) == {"invoice_no", "orders_id_seq"}  # identity sequences are implied
    inv = seqs["invoice_no"]
    assert (inv.start, inv.increment, inv.min_value, inv.max_value, inv.cache, inv.cycle) == (
        1000,
        5,
        1000,
        999999,
        10,
        True,
    )
    assert seqs["orders_id_seq"].owned_by == "orders.id"
    routines = {(r.name, r.kind) for r in snap.routines}
    assert routines == {("touch", "function"), ("add", "function"), ("archive", "procedure")}
    (trigger,) = snap.triggers
    assert (trigger.table, trigger.timing, trigger.events) == (
        "orders",
        "BEFORE",
        ("INSERT", "UPDATE"),
    )
    assert [e.name for e in snap.extensions] == ["citext"]  # plpgsql is in every database
    assert [n.name for n in snap.namespaces] == ["app"]  # public is in every database


def test_stats_are_counted_but_not_hashed(learned):
    db = learned[0]
    assert db.stats["counts"]["tables"] == 4
    assert db.stats["counts"]["views"] == 3
    assert db.stats["tables"]["app.orders"]["bytes"] > 0
    assert "public.sqlx_journal" not in db.stats["tables"]
    assert db.snapshot.stats == db.stats


def test_learning_is_read_only_and_set_based(learned):
    _, url, name = learned
    with connect(url) as s:
        before = s.query(CATALOG_FINGERPRINT).rows
        server = server_fingerprint(s)  # its own few queries, counted apart
        with counting_queries(s) as calls:
            db = learn_database(s, name, server_fingerprint=server)
        assert s.query(CATALOG_FINGERPRINT).rows == before
        assert s.query("SHOW transaction_read_only").scalar() == "off"  # transaction ended
    # one statement per catalog query plus the read-only transaction and the name check:
    # never one per table (the corpus has 4 tables, 3 views, ...)
    assert len(calls) == len(load_catalog("flo/postgres").queries) + 3
    assert db.snapshot.source["server"] == server


def test_learning_another_database_switches_to_it(databases):  # noqa: F811
    dbs = databases("postgres")
    url_a, _ = dbs.new()
    url_b, name_b = dbs.new()
    run_script(url_b, "CREATE TABLE only_in_b (id integer PRIMARY KEY)")
    with connect(url_a) as s:
        db = learn_database(s, name_b)
    assert [t.name for t in db.snapshot.tables] == ["only_in_b"]


def test_learning_behind_a_table_lock_gives_up_with_a_clear_error(fresh_pg_database):
    """A view's definition is read with the tables it reads locked (ACCESS SHARE): an open
    LOCK TABLE elsewhere must not hold learning up forever. The wait is bounded (10 s, in
    catalog.json) and the error says what is going on; the session stays usable."""
    import psycopg

    from engine import connect
    from engine.errors import ServerError
    from engine.flo.database import learn_database

    url = fresh_pg_database
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY); CREATE VIEW v AS SELECT id FROM t")
    with psycopg.connect(url) as locker:
        locker.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        with connect(url) as s:
            with pytest.raises(ServerError) as failed:
                learn_database(s, name)
            assert failed.value.sqlstate == "55P03"
            assert "gave up waiting for a lock" in str(failed.value)
            assert s.query("SELECT 1").scalar() == 1
        locker.rollback()
    with connect(url) as s:
        assert [v.name for v in learn_database(s, name).snapshot.views] == ["v"]

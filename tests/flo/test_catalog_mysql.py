"""MariaDB catalog -> IR: the corpus learned from a real server holds every object with the
facts the DDL stated (MariaDB's echo quirks undone), read-only, a fixed number of queries."""

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
SELECT (SELECT MD5(GROUP_CONCAT(CONCAT_WS('.', TABLE_NAME, COLUMN_NAME, COLUMN_TYPE,
                                          COLUMN_DEFAULT) ORDER BY TABLE_NAME, ORDINAL_POSITION))
          FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()),
       (SELECT MD5(GROUP_CONCAT(CONCAT_WS('.', TABLE_NAME, TABLE_TYPE, UPDATE_TIME)
                                ORDER BY TABLE_NAME))
          FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()),
       (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE())
"""


@pytest.fixture
def learned(databases):  # noqa: F811
    url, name = databases("mysql").new()
    run_script(url, corpus_files("mysql")[0].read_text())
    with connect(url) as s:
        return learn_database(s, name), url, name


def test_tables_columns_and_constraints(learned):
    db, _, name = learned
    snap = db.snapshot
    assert db.name == name and snap.dialect == "mysql"
    assert [t.key for t in snap.tables] == [("", "customers"), ("", "events"), ("", "orders")]
    customers = snap.table("", "customers")
    cols = {c.name: c for c in customers.columns}
    assert cols["id"].identity == "auto_increment" and cols["id"].type == "int"
    assert cols["score"].default is None  # MariaDB says the string 'NULL'
    assert cols["name"].default == "''"
    assert (
        cols["updated_at"].on_update and "current_timestamp" in cols["updated_at"].on_update.lower()
    )
    assert cols["prefs"].type == "json"  # LONGTEXT + CHECK (json_valid(prefs)) in the catalog
    assert cols["nick"].collation == "utf8mb4_bin" and cols["email"].collation is None
    assert cols["email"].comment == "login" and customers.comment == "people who buy"
    # json_valid() check folded away; `lines` is a reserved word the server took quoted
    assert [c.name for c in customers.checks] == ["lines", "score"]
    assert customers.primary_key.columns == ("id",)
    orders = snap.table("", "orders")
    (fk,) = orders.foreign_keys
    assert (fk.name, fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns) == (
        "orders_customer_fk",
        ("customer_id",),
        "",
        "customers",
        ("id",),
    )
    assert (fk.on_delete, fk.on_update, fk.match) == ("CASCADE", "RESTRICT", "SIMPLE")
    assert orders.column("amount").generated_stored
    assert orders.column("label").generated and not orders.column("label").generated_stored
    assert [c.name for c in orders.checks] == ["orders_total_check"]


def test_indexes_views_partitions_routines_triggers(learned):
    snap = learned[0].snapshot
    customers = snap.table("", "customers")
    assert [(i.name, i.unique) for i in customers.indexes] == [
        ("customers_email_key", True),
        ("customers_lines_idx", False),
    ]
    idx = {i.name: i for i in snap.table("", "orders").indexes}
    # the FK's automatic index is a real index in MariaDB
    assert set(idx) == {
        "orders_customer_fk",
        "orders_note_ft",
        "orders_note_prefix",
        "orders_status_idx",
    }
    assert idx["orders_note_ft"].method == "fulltext"
    assert idx["orders_note_prefix"].parts[0].length == 20
    assert [p.descending for p in idx["orders_status_idx"].parts] == [False, True]
    views = {v.name: v for v in snap.views}
    assert set(views) == {"open_orders", "big_open_orders"}
    assert learned[2] not in views["open_orders"].definition  # no database qualifier
    assert views["open_orders"].columns == ("id", "total")
    part = snap.table("", "events").partitioning
    assert part.strategy == "range"
    assert [p[0] for p in part.partitions] == ["p2024", "p2025", "pmax"]
    assert part.partitions[-1][1] == "VALUES LESS THAN MAXVALUE"
    routines = {(r.name, r.kind): r for r in snap.routines}
    assert set(routines) == {("add_one", "function"), ("archive", "procedure")}
    assert "DETERMINISTIC" in routines[("add_one", "function")].definition
    (trigger,) = snap.triggers
    assert (trigger.table, trigger.timing, trigger.events) == ("orders", "BEFORE", ("INSERT",))
    assert not snap.namespaces and not snap.extensions and not snap.types


def test_stats(learned):
    db = learned[0]
    assert db.stats["counts"]["tables"] == 3
    assert db.stats["tables"]["orders"]["bytes"] > 0
    assert "sqlx_journal" not in db.stats["tables"]


def test_learning_is_read_only_and_set_based(learned):
    _, url, name = learned
    with connect(url) as s:
        before = s.query(CATALOG_FINGERPRINT).rows
        server = server_fingerprint(s)  # its own few queries, counted apart
        with counting_queries(s) as calls:
            db = learn_database(s, name, server_fingerprint=server)
        assert s.query(CATALOG_FINGERPRINT).rows == before
        assert s.query("SELECT @@in_transaction").scalar() == 0
    # the read-only transaction, one statement per catalog query, and one listing of the
    # sequences (whose settings are then read in that one UNION ALL statement)
    assert len(calls) == len(load_catalog("flo/mysql").queries) + 3
    (settings,) = [sql for sql in calls if "start_value" in sql]  # both sequences at once
    assert settings.count("UNION ALL") == 1  # the corpus has two
    assert db.snapshot.source["server"] == server


def test_learning_reads_another_database_by_name(databases):  # noqa: F811
    dbs = databases("mysql")
    url_a, _ = dbs.new()
    url_b, name_b = dbs.new()
    run_script(url_b, "CREATE TABLE only_in_b (id int PRIMARY KEY)")
    with connect(url_a) as s:
        db = learn_database(s, name_b)
        assert s.query("SELECT DATABASE()").scalar() != name_b  # the session did not move
    assert [t.name for t in db.snapshot.tables] == ["only_in_b"]


def test_sequences_are_read_from_the_sequences_themselves(learned):
    seqs = {s.name: s for s in learned[0].snapshot.sequences}
    assert set(seqs) == {"invoice_no", "ticket_no"}
    inv = seqs["invoice_no"]
    assert (inv.start, inv.increment, inv.min_value, inv.max_value, inv.cache, inv.cycle) == (
        1000,
        5,
        1000,
        999999,
        10,
        True,
    )
    plain = seqs["ticket_no"]  # every setting the default: bounds left implied
    assert (plain.data_type, plain.start, plain.min_value, plain.max_value, plain.cycle) == (
        "bigint",
        1,
        None,
        None,
        False,
    )
    assert learned[0].stats["counts"]["sequences"] == 2
    assert "invoice_no" not in learned[0].stats["tables"]  # a sequence is not a table

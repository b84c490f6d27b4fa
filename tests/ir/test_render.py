"""render_ddl: parse_ddl(render_ddl(s)) == s for every corpus snapshot, and the rendered
DDL runs on a real SQLite (in-process) giving the objects the snapshot names."""

from __future__ import annotations

import sqlite3

import pytest

from engine import ir
from tests.ir._corpus import CORPUS, corpus_files, corpus_ids


def first_difference(a, b, path=""):
    """A readable pointer to where two canonical documents differ."""
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            found = first_difference(a.get(key), b.get(key), f"{path}/{key}")
            if found:
                return found
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}/{i}")
            if found:
                return found
    elif a != b:
        return f"{path}: {a!r} != {b!r}"
    return None


@pytest.mark.parametrize(("dialect", "path"), corpus_files(), ids=corpus_ids())
def test_render_then_parse_gives_the_same_snapshot(dialect, path):
    snap = ir.parse_ddl(path.read_text(), dialect)
    statements = ir.render_ddl(snap)
    assert statements and all(not s.rstrip().endswith(";") for s in statements)
    again = ir.parse_ddl(";\n".join(statements), dialect)
    diff = first_difference(ir.hash_document(snap), ir.hash_document(again))
    assert diff is None, diff
    assert again == snap
    assert ir.profile_hash(again) == ir.profile_hash(snap)


@pytest.mark.parametrize(("dialect", "path"), corpus_files(), ids=corpus_ids())
def test_render_is_a_fixed_point(dialect, path):
    snap = ir.parse_ddl(path.read_text(), dialect)
    once = ir.render_ddl(snap)
    assert ir.render_ddl(ir.parse_ddl(";\n".join(once), dialect)) == once


def test_dependency_order_for_postgres():
    statements = ir.render_ddl(
        ir.parse_ddl((CORPUS / "postgres" / "shop.sql").read_text(), "postgres")
    )

    def first(prefix):
        return next(i for i, s in enumerate(statements) if s.startswith(prefix))

    assert (
        first("CREATE SCHEMA")
        < first("CREATE TYPE")
        < first("CREATE SEQUENCE")
        < first("CREATE TABLE")
    )
    assert first("CREATE TABLE public.orders (") < first(
        "CREATE TABLE public.orders_low PARTITION OF"
    )
    assert max(i for i, s in enumerate(statements) if s.startswith("CREATE TABLE")) < first(
        "CREATE INDEX"
    )
    assert first("CREATE INDEX") < first("ALTER TABLE public.orders ADD CONSTRAINT")
    assert first("CREATE VIEW public.paid_orders") < first("CREATE VIEW public.big_paid")
    assert first("CREATE FUNCTION") < first("CREATE TRIGGER")
    assert first("ALTER SEQUENCE public.orders_id_seq OWNED BY") > first(
        "CREATE TABLE public.orders ("
    )
    assert statements[-1].startswith("COMMENT ON")
    assert any(s.endswith("NOT VALID") for s in statements)


def test_views_reading_views_come_after_them_whatever_their_names():
    text = (
        "CREATE TABLE t (x int); CREATE VIEW a AS SELECT x FROM z; CREATE VIEW z AS SELECT x FROM t"
    )
    statements = ir.render_ddl(ir.parse_ddl(text, "sqlite"))
    views = [s.split()[2] for s in statements if s.startswith("CREATE VIEW")]
    assert views == ["z", "a"]


def test_rendered_sqlite_ddl_runs_and_creates_every_object():
    snap = ir.parse_ddl((CORPUS / "sqlite" / "shop.sql").read_text(), "sqlite")
    db = sqlite3.connect(":memory:")
    try:
        for statement in ir.render_ddl(snap):
            db.execute(statement)
        rows = db.execute("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
        made = set(rows.fetchall())
        orders_sql = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'orders'").fetchone()[0]
    finally:
        db.close()
    expected = (
        {("table", t.name) for t in snap.tables}
        | {("view", v.name) for v in snap.views}
        | {("index", i.name) for t in snap.tables for i in t.indexes}
        | {("trigger", t.name) for t in snap.triggers}
    )
    assert made == expected
    # what SQLite stored parses back to the same table (SQLite keeps DDL text as its catalog)
    stored = ir.parse_ddl(orders_sql, "sqlite").table("", "orders")
    assert stored == snap.table("", "orders").__class__(
        **{**{f: getattr(snap.table("", "orders"), f) for f in stored.__slots__}, "indexes": ()}
    )


def test_mysql_8_reserved_words_are_quoted_for_both_servers():
    """MariaDB does not reserve RANK, LEAD or WINDOW, MySQL 8 does: rendered unquoted, a
    plan made on MariaDB would fail on MySQL 8 (the list is one for the family)."""
    snap = ir.parse_ddl(
        "CREATE TABLE `scores` (`id` int PRIMARY KEY, `rank` int, `lead` int, `window` int, "
        "`points` int)",
        "mysql",
    )
    (statement,) = ir.render_ddl(snap)
    for word in ("rank", "lead", "window"):
        assert f"`{word}`" in statement
    assert "`points`" not in statement and " points " in statement

"""Declared renames of constraints: one catalog-only RENAME where the family has one, a
drop + add (or a table rebuild) that says why where it has none; and on real servers the
renamed constraints keep their rows and (PostgreSQL) their very index."""

from __future__ import annotations

import pytest

from engine import connect
from engine.errors import PlanError, ServerError
from engine.flo import learn_database
from engine.ir import parse_ddl
from engine.planner import make_plan, risk
from engine.planner.apply import apply_plan, rollback_plan
from engine.planner.diff import diff
from engine.planner.hints import renames_from_sql
from engine.planner.model import PlanContext, Rename
from engine.planner.sources import Source, load_source
from tests.flo.catalog_helpers import databases, run_script  # noqa: F401


def plan(a_sql: str, b_sql: str, dialect: str = "postgres", renames=None):
    a, b = parse_ddl(a_sql, dialect), parse_ddl(b_sql, dialect)
    declared = tuple(renames if renames is not None else renames_from_sql(b_sql, dialect))
    context = PlanContext(dialect, a, b, renames=declared)
    return diff(a, b, context), context


def kinds(ops) -> list[str]:
    return [o.kind for o in ops]


PG_A = """
CREATE TABLE p (id integer PRIMARY KEY);
CREATE TABLE c (
  id integer CONSTRAINT c_pk PRIMARY KEY, p_id integer, qty integer, sku text,
  CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id),
  CONSTRAINT qty_pos CHECK (qty > 0),
  CONSTRAINT sku_uq UNIQUE (sku)
);"""
PG_B = """
CREATE TABLE p (id integer PRIMARY KEY);
CREATE TABLE c (
  id integer, p_id integer, qty integer, sku text,
  CONSTRAINT c_pkey PRIMARY KEY (id), -- sqlx:rename-from c_pk
  CONSTRAINT c_p_id_fkey FOREIGN KEY (p_id) REFERENCES p (id), -- sqlx:rename-from c_p
  CONSTRAINT c_qty_check CHECK (qty > 0), -- sqlx:rename-from qty_pos
  CONSTRAINT c_sku_key UNIQUE (sku) -- sqlx:rename-from sku_uq
);"""


def test_postgres_renames_every_kind_in_the_catalog_with_low_risk():
    ops, context = plan(PG_A, PG_B)
    assert kinds(ops) == ["rename_constraint"] * 4
    assert {(o.target.kind, o.target.name) for o in ops} == {
        ("primary_key", "c_pkey"),
        ("foreign_key", "c_p_id_fkey"),
        ("check", "c_qty_check"),
        ("unique", "c_sku_key"),
    }
    fk = next(o for o in ops if o.target.kind == "foreign_key")
    assert fk.sql == ("ALTER TABLE public.c RENAME CONSTRAINT c_p TO c_p_id_fkey",)
    assert [s.sql for s in fk.rollback] == [
        "ALTER TABLE public.c RENAME CONSTRAINT c_p_id_fkey TO c_p"
    ]
    for op in ops:
        assert op.hazards == () and op.lock.duration == "instant"
        assert not op.lock.rewrites_table
        assert risk.assess(op, context).level == "low"
        assert "no row is checked again" in op.rationale


def test_a_rename_whose_definition_also_changes_is_renamed_then_rediffed():
    b = PG_B.replace("REFERENCES p (id), --", "REFERENCES p (id) ON DELETE CASCADE, --")
    ops, _ = plan(PG_A, b)
    fk_ops = [o for o in ops if o.target.kind == "foreign_key"]
    assert kinds(fk_ops) == ["rename_constraint", "drop_foreign_key", "add_foreign_key"]
    assert fk_ops[1].sql == ("ALTER TABLE public.c DROP CONSTRAINT c_p_id_fkey",)
    assert "ON DELETE CASCADE" in fk_ops[2].sql[0]
    assert any("defines c_p_id_fkey differently" in n for n in fk_ops[0].notes)


def test_renames_run_before_the_changes_that_use_the_new_names():
    ops, _ = plan(
        "CREATE TABLE old_t (id integer CONSTRAINT t_pk PRIMARY KEY, a integer);",
        "-- sqlx:rename-from old_t\nCREATE TABLE t (id integer, a integer, b integer,\n"
        "  CONSTRAINT t_pkey PRIMARY KEY (id) -- sqlx:rename-from t_pk\n);",
    )
    assert kinds(ops) == ["rename_table", "rename_constraint", "add_column"]
    assert ops[1].sql == ("ALTER TABLE public.t RENAME CONSTRAINT t_pk TO t_pkey",)
    assert ops[0].id in ops[1].depends_on


def test_a_rename_from_the_request_without_a_table_finds_it():
    ops, _ = plan(
        "CREATE TABLE t (id integer, a integer CONSTRAINT a_pos CHECK (a > 0));",
        "CREATE TABLE t (id integer, a integer CONSTRAINT a_positive CHECK (a > 0));",
        renames=[Rename("constraint", "public", "a_pos", "a_positive")],
    )
    assert kinds(ops) == ["rename_constraint"]


def test_a_rename_already_done_is_skipped():
    sql = "CREATE TABLE t (id integer, a integer CONSTRAINT a_positive CHECK (a > 0));"
    renames = [Rename("constraint", "public", "a_pos", "a_positive", table="t")]
    assert plan(sql, sql, renames=renames)[0] == ()


def test_a_rename_from_a_name_never_there_adds_and_says_the_hint_was_ignored():
    ops, _ = plan(
        "CREATE TABLE t (id integer, a integer);",
        "CREATE TABLE t (id integer, a integer,\n"
        "  CONSTRAINT a_positive CHECK (a > 0) -- sqlx:rename-from a_typo\n);",
    )
    assert kinds(ops) == ["add_check"]
    assert any("ignored: t has no constraint a_typo" in n for n in ops[0].notes)


def test_a_rename_to_a_name_the_desired_table_lacks_is_a_plan_error():
    with pytest.raises(PlanError, match="no check constraint a_positive on t"):
        plan(
            "CREATE TABLE t (id integer, a integer CONSTRAINT a_pos CHECK (a > 0));",
            "CREATE TABLE t (id integer, a integer CONSTRAINT a_pos2 CHECK (a > 0));",
            renames=[Rename("constraint", "public", "a_pos", "a_positive", table="t")],
        )
    with pytest.raises(PlanError, match="no check constraint a_uq2"):  # a unique now
        plan(
            "CREATE TABLE t (id integer, a integer CONSTRAINT a_pos CHECK (a > 0));",
            "CREATE TABLE t (id integer, a integer CONSTRAINT a_uq2 UNIQUE);",
            renames=[Rename("constraint", "public", "a_pos", "a_uq2", table="t")],
        )
    with pytest.raises(PlanError, match="no table t"):
        plan(
            "CREATE TABLE t (id integer, a integer CONSTRAINT a_pos CHECK (a > 0));",
            "CREATE TABLE u (id integer);",
            renames=[Rename("constraint", "public", "a_pos", "a_positive", table="t")],
        )


MY_A = """
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (id int PRIMARY KEY, p_id int, qty int, sku varchar(10),
  CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id),
  CONSTRAINT qty_pos CHECK (qty > 0), CONSTRAINT sku_uq UNIQUE (sku));"""
MY_B = """
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (id int PRIMARY KEY, p_id int, qty int, sku varchar(10),
  CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p (id), -- sqlx:rename-from c_p
  CONSTRAINT c_qty_check CHECK (qty > 0), -- sqlx:rename-from qty_pos
  CONSTRAINT c_sku_key UNIQUE (sku) -- sqlx:rename-from sku_uq
);"""


def test_mysql_renames_a_unique_key_and_says_why_it_drops_and_adds_the_others():
    ops, _ = plan(MY_A, MY_B, "mysql")
    rename = next(o for o in ops if o.kind == "rename_constraint")
    assert (rename.target.kind, rename.target.name) == ("unique", "c_sku_key")
    assert rename.sql == ("ALTER TABLE c RENAME INDEX sku_uq TO c_sku_key",)
    assert sorted(kinds(ops)) == sorted(
        ["rename_constraint", "drop_foreign_key", "drop_check", "rename_index", "add_check",
         "add_foreign_key"]
    )  # fmt: skip
    # the foreign key's own index is renamed, not rebuilt; the notes sit on drop and add
    assert next(o for o in ops if o.kind == "rename_index").notes == ()
    for op in ops:
        if op.kind.startswith(("drop_", "add_")):
            (note,) = op.notes
            assert "not honoured: MySQL and MariaDB have no ALTER TABLE .. RENAME" in note


def test_sqlite_rebuilds_the_table_and_says_the_rename_could_not_be_a_rename():
    ops, _ = plan(
        "CREATE TABLE t (id integer PRIMARY KEY, a integer CONSTRAINT a_pos CHECK (a > 0));",
        "CREATE TABLE t (id integer PRIMARY KEY, a integer,\n"
        "  CONSTRAINT a_positive CHECK (a > 0) -- sqlx:rename-from a_pos\n);",
        "sqlite",
    )
    assert kinds(ops) == ["rebuild_table"]
    assert any("SQLite's ALTER TABLE cannot rename a constraint" in n for n in ops[0].notes)


# -- on the real servers --------------------------------------------------------------------


def _round_trip(url: str, name: str, b_sql: str, rows_sql: str):
    """Plan from the live database to b_sql (with its hints), apply, return (plan, rows
    before, rows after, learned snapshot after); then roll back and check the rows again."""
    source = load_source(url, database=name)
    dialect = source.snapshot.dialect
    desired = parse_ddl(b_sql, dialect)
    target = Source("snapshot", "b", desired, renames=renames_from_sql(b_sql, dialect))
    plan_ = make_plan(source, target)
    with connect(url) as s:
        before = s.query(rows_sql).rows
        report = apply_plan(s, plan_, database=name, allow_destructive=True,
                            accept_hazards=frozenset(plan_.hazards))  # fmt: skip
        assert report.status == "applied", report.message
        after = s.query(rows_sql).rows
        learned = learn_database(s, name).snapshot
        back = rollback_plan(s, plan_, database=name)
        assert back.status == "rolled_back", back.message
        assert s.query(rows_sql).rows == before
        assert learn_database(s, name).snapshot == source.snapshot
    return plan_, before, after, learned


def _names(t) -> set[str]:
    return {
        t.primary_key.name if t.primary_key else None,
        *(u.name for u in t.uniques),
        *(c.name for c in t.checks),
        *(f.name for f in t.foreign_keys),
        *(i.name for i in t.indexes if i.unique),
    } - {None}


def test_postgres_round_trip_keeps_rows_and_the_same_index(databases):  # noqa: F811
    url, name = databases("postgres").new()
    run_script(url, PG_A + "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1, 3, 'x');")
    index_file = (
        "SELECT relfilenode FROM pg_class WHERE relname IN ('sku_uq', 'c_sku_key')"
    )  # fmt: skip
    with connect(url) as s:
        file_before = s.query(index_file).rows
    assert len(file_before) == 1
    plan_, before, after, learned = _round_trip(url, name, PG_B, "SELECT * FROM c ORDER BY id")
    assert kinds(plan_.operations) == ["rename_constraint"] * 4
    assert all(o.risk.level == "low" for o in plan_.operations)
    assert after == before == [(1, 1, 3, "x")]
    assert _names(learned.table("public", "c")) == {
        "c_pkey", "c_p_id_fkey", "c_qty_check", "c_sku_key"
    }  # fmt: skip
    with connect(url) as s:  # rolled back: the unique index is the one it always was
        assert s.query(index_file).rows == file_before


def test_mariadb_round_trip_renames_the_unique_key_in_place(databases):  # noqa: F811
    url, name = databases("mysql").new()
    run_script(url, MY_A + "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1, 3, 'x');")
    # the server has no RENAME CONSTRAINT (a syntax error): why plan.json says so
    with connect(url) as s, pytest.raises(ServerError, match="syntax") as refused:
        s.execute("ALTER TABLE c RENAME CONSTRAINT qty_pos TO c_qty_check")
    assert refused.value.code == 1064
    plan_, before, after, learned = _round_trip(url, name, MY_B, "SELECT * FROM c ORDER BY id")
    rename = next(o for o in plan_.operations if o.kind == "rename_constraint")
    assert "RENAME INDEX sku_uq TO c_sku_key" in rename.sql[0]
    assert after == before == [(1, 1, 3, "x")]
    assert {"c_p_fk", "c_qty_check", "c_sku_key"} <= _names(learned.table("", "c"))
    assert {"c_p", "qty_pos", "sku_uq"}.isdisjoint(_names(learned.table("", "c")))


def test_sqlite_round_trip_rebuilds_with_the_new_names(databases):  # noqa: F811
    url, name = databases("sqlite").new()
    a = "CREATE TABLE t (id integer PRIMARY KEY, a integer CONSTRAINT a_pos CHECK (a > 0));"
    run_script(url, a + "INSERT INTO t VALUES (1, 5), (2, 6);")
    b = (
        "CREATE TABLE t (id integer PRIMARY KEY, a integer,\n"
        "  CONSTRAINT a_positive CHECK (a > 0) -- sqlx:rename-from a_pos\n);"
    )
    plan_, before, after, learned = _round_trip(url, name, b, "SELECT * FROM t ORDER BY id")
    assert kinds(plan_.operations) == ["rebuild_table"]
    assert after == before == [(1, 5), (2, 6)]
    assert _names(learned.table("", "t")) == {"a_positive"}

"""The differ on in-memory snapshots (no server): ordering, declared vs suspected renames,
every hazard it names, rollbacks, rationales, and byte-stable output."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from engine.errors import PlanError
from engine.ir import parse_ddl
from engine.planner.diff import diff, suspected_renames
from engine.planner.hints import renames_from_sql
from engine.planner.model import HAZARDS, PlanContext, Rename

CORPUS = Path(__file__).resolve().parent / "corpus"
DIALECT = {"postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


def plan(a_sql: str, b_sql: str, dialect: str = "postgres", renames=None):
    a, b = parse_ddl(a_sql, dialect), parse_ddl(b_sql, dialect)
    if renames is None:
        renames = renames_from_sql(b_sql, dialect)
    return diff(a, b, PlanContext(dialect, a, b, renames=tuple(renames)))


def kinds(ops) -> list[str]:
    return [o.kind for o in ops]


def position(ops, kind: str, name: str | None = None) -> int:
    for i, o in enumerate(ops):
        if o.kind == kind and (name is None or o.target.name == name):
            return i
    raise AssertionError(f"no {kind} {name or ''} in {[(o.kind, o.target.name) for o in ops]}")


def schema_only(text: str) -> str:
    """A corpus a.sql without its data statements (parse_ddl reads schema only)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("INSERT"))


def corpus_pairs():
    for family in DIALECT:
        for case in sorted((CORPUS / family).iterdir()):
            if case.is_dir():
                yield pytest.param(family, case, id=f"{family}-{case.name}")


# -- equal schemas ------------------------------------------------------------------------


def test_equal_schemas_give_no_operations():
    sql = "CREATE TABLE t (id integer PRIMARY KEY, a text); CREATE VIEW v AS SELECT id FROM t;"
    assert plan(sql, sql) == ()


def test_dialects_must_match():
    a = parse_ddl("CREATE TABLE t (id integer)", "postgres")
    b = parse_ddl("CREATE TABLE t (id integer)", "mysql")
    with pytest.raises(PlanError, match="convert"):
        diff(a, b, PlanContext("postgres", a, b))


# -- ordering ----------------------------------------------------------------------------


def test_types_sequences_tables_indexes_foreign_keys_views_in_order():
    ops = plan(
        "",
        """
        CREATE VIEW v2 AS SELECT id FROM v1;
        CREATE VIEW v1 AS SELECT id FROM orders;
        CREATE TABLE orders (id integer PRIMARY KEY, c integer REFERENCES customers (id),
                             m mood, n integer DEFAULT nextval('s'));
        CREATE INDEX orders_c ON orders (c);
        CREATE TABLE customers (id integer PRIMARY KEY);
        CREATE SEQUENCE s;
        CREATE TYPE mood AS ENUM ('a', 'b');
        CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER orders_f BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION f();
        """,
    )
    assert position(ops, "create_type") < position(ops, "create_table", "orders")
    assert position(ops, "create_sequence") < position(ops, "create_table", "orders")
    assert position(ops, "create_table", "customers") < position(ops, "add_foreign_key")
    assert position(ops, "create_table", "orders") < position(ops, "create_index")
    assert position(ops, "create_index") < position(ops, "add_foreign_key")
    assert position(ops, "add_foreign_key") < position(ops, "create_view", "v1")
    assert position(ops, "create_view", "v1") < position(ops, "create_view", "v2")
    assert position(ops, "create_routine") < position(ops, "create_trigger")
    v2 = ops[position(ops, "create_view", "v2")]
    assert ops[position(ops, "create_view", "v1")].id in v2.depends_on


def test_drops_dependants_first_and_tables_referrers_first():
    ops = plan(
        """
        CREATE TABLE a (id integer PRIMARY KEY);
        CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a (id));
        CREATE TABLE c (id integer PRIMARY KEY, b_id integer REFERENCES b (id));
        CREATE VIEW va AS SELECT id FROM a;
        CREATE VIEW vva AS SELECT id FROM va;
        CREATE TYPE mood AS ENUM ('x');
        CREATE TABLE keep (id integer PRIMARY KEY, a_id integer REFERENCES a (id), m mood);
        """,
        "CREATE TABLE keep (id integer PRIMARY KEY, a_id integer);",
    )
    assert position(ops, "drop_view", "vva") < position(ops, "drop_view", "va")
    assert position(ops, "drop_view", "va") < position(ops, "drop_foreign_key")
    assert position(ops, "drop_foreign_key") < position(ops, "drop_table", "a")
    assert position(ops, "drop_table", "c") < position(ops, "drop_table", "b")
    assert position(ops, "drop_table", "b") < position(ops, "drop_table", "a")
    assert position(ops, "drop_column") < position(ops, "drop_type")
    assert (
        ops[position(ops, "drop_table", "c")].id in ops[position(ops, "drop_table", "b")].depends_on
    )


def test_ids_are_sequential_and_dependencies_point_backwards():
    ops = plan(
        "CREATE TABLE t (id integer PRIMARY KEY, a text); CREATE VIEW v AS SELECT a FROM t;",
        "CREATE TABLE t (id integer PRIMARY KEY, a varchar(5), b text); "
        "CREATE VIEW v AS SELECT a FROM t;",
    )
    assert [o.id for o in ops] == [f"op-{i:03d}" for i in range(1, len(ops) + 1)]
    seen: set[str] = set()
    for op in ops:
        assert set(op.depends_on) <= seen, op
        seen.add(op.id)


def test_view_over_a_column_whose_type_changes_is_dropped_and_recreated():
    view = "CREATE VIEW v AS SELECT total FROM t;"
    ops = plan(
        f"CREATE TABLE t (id integer PRIMARY KEY, total numeric(10,2)); {view}",
        f"CREATE TABLE t (id integer PRIMARY KEY, total numeric(14,2)); {view}",
    )
    assert kinds(ops) == ["drop_view", "alter_column_type", "create_view"]
    assert "type of its column total changes" in ops[2].rationale


# -- renames -----------------------------------------------------------------------------


def test_declared_column_rename_keeps_the_data():
    a = "CREATE TABLE t (id integer PRIMARY KEY, remark text); CREATE INDEX t_r ON t (remark);"
    b = """CREATE TABLE t (
      id integer PRIMARY KEY,
      note text -- sqlx:rename-from remark
    );
    CREATE INDEX t_r ON t (note);"""
    ops = plan(a, b)
    assert kinds(ops) == ["rename_column"]
    assert ops[0].sql == ("ALTER TABLE public.t RENAME COLUMN remark TO note",)
    assert [s.sql for s in ops[0].rollback] == ["ALTER TABLE public.t RENAME COLUMN note TO remark"]
    assert "BACKWARD_INCOMPATIBLE" in ops[0].hazards and "DATA_LOSS" not in ops[0].hazards
    a_snap, b_snap = parse_ddl(a, "postgres"), parse_ddl(b, "postgres")
    ctx = PlanContext("postgres", a_snap, b_snap, renames=renames_from_sql(b, "postgres"))
    assert suspected_renames(a_snap, b_snap, ctx) == ()


def test_declared_table_rename_from_the_request():
    ops = plan(
        "CREATE TABLE old_t (id integer PRIMARY KEY, x integer);",
        "CREATE TABLE new_t (id integer PRIMARY KEY, x integer);",
        renames=[Rename("table", "public", "old_t", "new_t")],
    )
    assert kinds(ops) == ["rename_table", "rename_constraint"]  # and its pkey's name
    assert ops[0].sql == ("ALTER TABLE public.old_t RENAME TO new_t",)
    assert ops[1].sql == ("ALTER TABLE public.new_t RENAME CONSTRAINT old_t_pkey TO new_t_pkey",)


def test_a_rename_already_done_is_skipped():
    sql = "CREATE TABLE t (id integer PRIMARY KEY, note text);"
    assert plan(sql, sql, renames=[Rename("column", "public", "remark", "note", table="t")]) == ()


def test_a_declared_rename_to_nothing_is_a_plan_error():
    with pytest.raises(PlanError, match=r"no column t\.note"):
        plan(
            "CREATE TABLE t (id integer, remark text);",
            "CREATE TABLE t (id integer, other text);",
            renames=[Rename("column", "public", "remark", "note", table="t")],
        )


def test_suspected_column_rename_is_not_acted_on_but_explained():
    ops = plan(
        "CREATE TABLE t (id integer PRIMARY KEY, remark text);",
        "CREATE TABLE t (id integer PRIMARY KEY, note text);",
    )
    assert sorted(kinds(ops)) == ["add_column", "drop_column"]
    for op in ops:
        assert any("looks like a rename of column t.remark -> t.note" in n for n in op.notes)
        assert any("`-- sqlx:rename-from remark`" in n for n in op.notes)
    a = parse_ddl("CREATE TABLE t (id integer PRIMARY KEY, remark text);", "postgres")
    b = parse_ddl("CREATE TABLE t (id integer PRIMARY KEY, note text);", "postgres")
    assert suspected_renames(a, b) == (Rename("column", "public", "remark", "note", table="t"),)


def test_different_type_or_position_is_not_a_suspected_rename():
    a = parse_ddl("CREATE TABLE t (id integer, remark text, x integer);", "postgres")
    b = parse_ddl("CREATE TABLE t (id integer, note integer, x integer);", "postgres")
    assert suspected_renames(a, b) == ()
    b = parse_ddl("CREATE TABLE t (id integer, x integer, note text);", "postgres")
    assert suspected_renames(a, b) == ()


def test_suspected_table_rename():
    a = parse_ddl("CREATE TABLE purchase (id integer, total integer);", "postgres")
    b = parse_ddl("CREATE TABLE orders (id integer, total integer);", "postgres")
    assert suspected_renames(a, b) == (Rename("table", "public", "purchase", "orders"),)
    ops = diff(a, b, PlanContext("postgres", a, b))
    drop = ops[position(ops, "drop_table")]
    assert any("looks like a rename of table purchase -> orders" in n for n in drop.notes)


# -- hazards, rollbacks, locks -------------------------------------------------------------


def hazards_of(a: str, b: str, kind: str, dialect: str = "postgres") -> tuple[str, ...]:
    ops = plan(a, b, dialect)
    return ops[position(ops, kind)].hazards


def test_every_hazard_the_differ_names():
    t = "CREATE TABLE t (id integer PRIMARY KEY, a text, n integer"
    assert {"DATA_LOSS", "BACKWARD_INCOMPATIBLE", "IRREVERSIBLE"} <= set(
        hazards_of(t + ");", "CREATE TABLE t (id integer PRIMARY KEY, n integer);", "drop_column")
    )
    assert {"DATA_LOSS", "IRREVERSIBLE"} <= set(hazards_of(t + ");", "", "drop_table"))
    assert "TABLE_REWRITE" in hazards_of(t + ");", t.replace("a text", "a varchar(9)") + ");",
                                         "alter_column_type")  # fmt: skip
    assert {"DATA_DEPENDENT", "LOSSY_CONVERSION"} <= set(
        hazards_of(t + ");", t.replace("n integer", "n smallint") + ");", "alter_column_type")
    )
    assert "INDEX_BUILD" in hazards_of(t + ");", t + "); CREATE INDEX i ON t (a);", "create_index")
    assert "DATA_DEPENDENT" in hazards_of(t + ");", t + " NOT NULL);", "set_not_null")
    assert "DATA_DEPENDENT" in hazards_of(t + ");", t + " UNIQUE);", "add_unique")
    assert "DATA_DEPENDENT" in hazards_of(t + ");", t + " CHECK (n > 0));", "add_check")
    fk = "CREATE TABLE p (id integer PRIMARY KEY); "
    assert "DATA_DEPENDENT" in hazards_of(
        fk + t + ");", fk + t + " REFERENCES p (id));", "add_foreign_key"
    )
    view = "CREATE VIEW v AS SELECT id FROM t;"
    assert "BACKWARD_INCOMPATIBLE" in hazards_of(t + f"); {view}", t + ");", "drop_view")
    assert "IRREVERSIBLE" in hazards_of(
        "CREATE TYPE m AS ENUM ('a');", "CREATE TYPE m AS ENUM ('a', 'b');", "alter_enum_add_value"
    )
    assert set(HAZARDS) >= {h for o in plan(t + ");", "") for h in o.hazards}


def test_new_table_index_is_not_an_index_build_hazard():
    ops = plan("", "CREATE TABLE t (id integer, a text); CREATE INDEX t_a ON t (a);")
    assert ops[position(ops, "create_index")].hazards == ()


def test_rollbacks_invert_and_irreversible_says_why():
    ops = plan(
        "CREATE TABLE t (id integer PRIMARY KEY, a text, gone text);",
        "CREATE TABLE t (id integer PRIMARY KEY, a text NOT NULL DEFAULT 'x', b integer);",
    )
    by_kind = {o.kind: o for o in ops}
    assert [s.sql for s in by_kind["add_column"].rollback] == ["ALTER TABLE public.t DROP COLUMN b"]
    assert [s.sql for s in by_kind["set_not_null"].rollback] == [
        "ALTER TABLE public.t ALTER COLUMN a DROP NOT NULL"
    ]
    assert by_kind["drop_column"].rollback is None
    assert by_kind["drop_column"].irreversible == "the dropped column's data cannot be restored"
    for op in ops:
        assert (op.rollback is None) == (op.irreversible is not None), op


def test_locks_come_from_family_data():
    t = "CREATE TABLE t (id integer PRIMARY KEY, a text);"
    pg = plan(t, t.replace("a text", "a varchar(5)"))[0]
    assert pg.lock.level == "ACCESS EXCLUSIVE" and pg.lock.rewrites_table
    assert pg.lock.duration == "table_size" and pg.lock.blocks_reads
    my = plan(t.replace("integer", "int"), t.replace("integer", "int").replace("a text", "a int"),
              "mysql")[0]  # fmt: skip
    assert my.kind == "alter_column_type" and my.sql[0].startswith("ALTER TABLE t MODIFY COLUMN")
    assert "metadata lock" in my.lock.level
    lite = plan(t, t.replace("a text", "a integer"), "sqlite")[0]
    assert lite.kind == "rebuild_table" and lite.strategy == "table_rebuild"
    assert lite.lock.rewrites_table and "TABLE_REWRITE" in lite.hazards


def test_sqlite_rebuild_follows_the_documented_procedure():
    ops = plan(
        "CREATE TABLE t (id integer PRIMARY KEY, a text, gone text); CREATE INDEX t_a ON t (a);",
        "CREATE TABLE t (id integer PRIMARY KEY, a text NOT NULL); CREATE INDEX t_a ON t (a);",
        "sqlite",
    )
    assert kinds(ops) == ["rebuild_table"]
    sql = ops[0].sql
    assert sql[0] == "PRAGMA defer_foreign_keys = ON"
    assert sql[1].startswith("CREATE TABLE _sqlx_new_t (")
    assert sql[2] == "INSERT INTO _sqlx_new_t (id, a) SELECT id, a FROM t"
    assert sql[3:5] == ("DROP TABLE t", "ALTER TABLE _sqlx_new_t RENAME TO t")
    assert sql[5] == "CREATE INDEX t_a ON t (a)"
    assert {"DATA_LOSS", "TABLE_REWRITE", "IRREVERSIBLE"} <= set(ops[0].hazards)


def test_postgres_partitioning_change_rebuilds_through_a_staging_copy():
    (op,) = plan(
        "CREATE TABLE e (id integer, at date) PARTITION BY RANGE (at);",
        "CREATE TABLE e (id integer, at date) PARTITION BY LIST (id);",
    )
    assert op.kind == "rebuild_table"
    assert "change how the table is partitioned" in op.rationale
    assert op.sql[0] == "CREATE TEMP TABLE _sqlx_rows_e AS SELECT id, at FROM public.e"
    assert "PARTITION BY LIST (id)" in " ".join(op.sql)
    assert op.rollback is not None and "PARTITION BY RANGE (at)" in " ".join(
        s.sql for s in op.rollback
    )
    assert "TABLE_REWRITE" in op.hazards


# -- the whole corpus, offline ----------------------------------------------------------


def _doc(ops) -> str:
    return json.dumps([dataclasses.asdict(o) for o in ops], sort_keys=True, default=str)


@pytest.mark.parametrize("family,case", list(corpus_pairs()))
def test_corpus_plans_are_explained_and_byte_stable(family, case):
    dialect = DIALECT[family]
    a_sql = schema_only((case / "a.sql").read_text())
    b_sql = (case / "b.sql").read_text()
    first = plan(a_sql, b_sql, dialect)
    assert first, "the pair differs: the plan must not be empty"
    # the same inputs, with the statements shuffled: the same plan, byte for byte
    # (bodies with their own semicolons are not split: those files are replanned as they are)
    shuffled = ";\n".join(reversed([s for s in a_sql.split(";\n") if s.strip()]))
    simple = "$$" not in a_sql and "BEGIN" not in a_sql and _parses(shuffled, dialect)
    again = plan(shuffled if simple else a_sql, b_sql, dialect)
    assert _doc(again) == _doc(first)
    for op in first:
        assert re.fullmatch(r"[A-Z].+\.", op.rationale), op.rationale
        assert op.steps and all(s.sql for s in op.steps), op
        assert set(op.hazards) <= set(HAZARDS), op.hazards
        assert (op.rollback is None) == (op.irreversible is not None), op
        assert ("IRREVERSIBLE" in op.hazards) == (op.rollback is None), op
        assert op.lock.duration in ("instant", "brief", "table_size"), op.lock
        assert not re.search(r"\{\w+\}", " ".join(op.sql)), op.sql  # no unfilled template


def _parses(text: str, dialect: str) -> bool:
    try:
        parse_ddl(text, dialect)
    except Exception:
        return False
    return True

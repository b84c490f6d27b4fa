"""The shadow-column type change on PostgreSQL, through the real planner and apply.

Two live databases hold A and B (B: column types changed where a plain ALTER rewrites the
table: an indexed NOT NULL column with a default and a comment, a serial primary key that
a foreign key references, the foreign key's column). The plan, made with a large-table
threshold the tables pass, must pick the shadow column for each; applying it must reach B
(verified by re-learning), keep every row's values, and the rollback must return to A.
A kill in the middle of the backfill must resume from the last chunk.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from engine import connect
from engine.planner import load_source, make_plan
from engine.planner.apply import apply_plan, rollback_plan
from engine.planner.model import ObjectRef
from engine.planner.online import choose
from engine.planner.steps import StepContext, executor_for
from tests._services import _unique_name, _with_database
from tests.planner.test_apply_support import join, run_in_thread
from tests.planner.test_online_choose import context, plain

ROWS = 2500

A = """
CREATE TABLE u (id serial PRIMARY KEY, label text UNIQUE);
CREATE TABLE t (
  id integer PRIMARY KEY,
  u_id integer REFERENCES u (id),
  qty integer NOT NULL DEFAULT 0,
  note varchar(10),
  CONSTRAINT t_note_key UNIQUE (note, id)
);
CREATE INDEX t_qty_idx ON t (qty DESC, id);
COMMENT ON COLUMN t.qty IS 'quantity';
"""
B = (
    A.replace("id serial PRIMARY KEY", "id bigserial PRIMARY KEY")
    .replace("u_id integer", "u_id bigint")
    .replace("qty integer NOT NULL DEFAULT 0", "qty bigint NOT NULL DEFAULT 7")
    .replace("note varchar(10)", "note varchar(30)")
)
FILL = [
    f"INSERT INTO u (label) SELECT 'l' || g FROM generate_series(1, {ROWS}) g",
    f"INSERT INTO t SELECT g, g, g % 97, 'n' || g FROM generate_series(1, {ROWS}) g",
    "ANALYZE",
]
DATA = "SELECT count(*), sum(id), sum(u_id), sum(qty), string_agg(note, ',' ORDER BY id) FROM t"


def _column(name: str) -> ObjectRef:
    return ObjectRef("column", "public", name, "t")


#: the plain op diff emits for t.qty integer -> bigint (a widening that rewrites)
WIDEN_QTY = plain(
    "op-001",
    "alter_column_type",
    _column("qty"),
    ["ALTER TABLE public.t ALTER COLUMN qty TYPE bigint USING qty::bigint"],
    ["ALTER TABLE public.t ALTER COLUMN qty TYPE integer USING qty::integer"],
)


def _large_context(session, url: str, desired: str):
    """A plan context for the database at `url` towards `desired` in which t (ROWS rows)
    counts as large, so the shadow column may apply."""
    ctx = context(session, url.rsplit("/", 1)[1], desired, rows={("public", "t"): ROWS})
    return dataclasses.replace(ctx, large_table_rows=1000)


@pytest.fixture
def pair(fresh_pg_database, pg_url):
    """(url of A with rows, url of B)."""
    with connect(fresh_pg_database) as s:
        for sql in (A, *FILL):
            s.execute(sql)
    name = _unique_name()
    with connect(pg_url) as s:
        s.execute(f"CREATE DATABASE {name}")
    try:
        b_url = _with_database(pg_url, name)
        with connect(b_url) as s:
            s.execute(B)
        yield fresh_pg_database, b_url
    finally:
        with connect(pg_url) as s:
            s.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _plan(a_url: str, b_url: str):
    return make_plan(load_source(a_url), load_source(b_url), large_table_rows=1000)


def _accept(plan) -> set[str]:
    return {h for op in plan.operations for h in op.hazards}


def test_shadow_column_round_trip(pair):
    a_url, b_url = pair
    plan = _plan(a_url, b_url)
    strategies = {(o.target.table, o.target.name): o.strategy for o in plan.operations
                  if o.kind == "alter_column_type"}  # fmt: skip
    assert strategies == {
        ("t", "u_id"): "shadow_column",
        ("t", "qty"): "shadow_column",
        ("u", "id"): "shadow_column",
        ("t", "note"): "instant",  # a catalog-only widening needs no shadow
    }
    with connect(a_url) as s:
        before = s.query(DATA).rows
        report = apply_plan(s, plan, accept_hazards=_accept(plan))
        assert report.status == "applied", report.message
        assert report.verified is True
        assert s.query(DATA).rows == before
        cols = dict(
            s.query(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 't'"
            ).rows
        )
        assert cols == {"id": "integer", "u_id": "bigint", "qty": "bigint",
                        "note": "character varying"}  # fmt: skip
        comment = s.query(
            "SELECT col_description(attrelid, attnum) FROM pg_attribute "
            "WHERE attrelid = 't'::regclass AND attname = 'qty'"
        ).scalar()
        assert comment == "quantity"
        # new rows get the new default and the serial keeps counting from where it was
        s.execute("INSERT INTO u (label) VALUES ('new')")
        assert s.query("SELECT max(id) FROM u").scalar() == ROWS + 1
        s.execute("INSERT INTO t (id) VALUES (0)")
        assert s.query("SELECT qty FROM t WHERE id = 0").scalar() == 7
        s.execute("DELETE FROM t WHERE id = 0")
        s.execute("DELETE FROM u WHERE label = 'new'")
        # no helper column, trigger or function is left; a rebuilt index's own attribute
        # label keeps the helper name (PostgreSQL does not rename it with the column, and
        # cannot): its definition names the column
        leftovers = s.query(
            "SELECT a.attrelid::regclass::text, c.relkind FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE a.attname LIKE '\\_sqlx%' AND NOT a.attisdropped ORDER BY 1"
        ).rows
        assert leftovers == [("t_qty_idx", "i"), ("u_pkey", "i")]
        indexdef = s.query("SELECT pg_get_indexdef('t_qty_idx'::regclass)").scalar()
        assert indexdef.endswith("(qty DESC, id)")
        assert s.query("SELECT count(*) FROM pg_proc WHERE proname LIKE '\\_sqlx%'").scalar() == 0
        assert s.query("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '\\_sqlx%'").scalar() == 0

    with connect(a_url) as s:
        back = rollback_plan(s, plan)
        assert back.status == "rolled_back", back.message
        assert back.verified is True
        assert s.query(DATA).rows == before
        # the columns moved (both ways): the plan still applies, and says why it accepted
        again = apply_plan(s, plan, accept_hazards=_accept(plan))
        assert again.status == "applied" and again.verified is True, again.message
        assert any("another order" in n for n in again.notes)


def test_shadow_column_keeps_writes_made_during_the_backfill(pair):
    """Rows inserted, updated and deleted while the backfill runs end up converted."""
    a_url, _ = pair
    with connect(a_url) as s:
        ctx = _large_context(s, a_url, B.replace("REFERENCES u (id)", ""))
        (out,) = choose((WIDEN_QTY,), ctx)
        assert out.strategy == "shadow_column", out.notes
        at = [st.kind for st in out.steps].index("copy_chunks")
        with connect(a_url) as w:
            for i, step in enumerate(out.steps):
                if i == at:  # writes between the trigger and the backfill, and after it
                    w.execute("INSERT INTO t (id, qty) VALUES (-1, 5)")
                    w.execute("UPDATE t SET qty = 1000 WHERE id = 10")
                    w.execute("DELETE FROM t WHERE id = 11")
                executor_for(step.kind)(s, step, StepContext(operation=out, step_index=i))
                if i == at:
                    w.execute("UPDATE t SET qty = 2000 WHERE id = 12")
        assert s.query("SELECT qty FROM t WHERE id IN (-1, 10, 12) ORDER BY id").rows == [
            (5,), (1000,), (2000,)]  # fmt: skip
        assert s.query("SELECT count(*) FROM t WHERE id = 11").scalar() == 0
        assert s.query("SELECT count(*) FROM t").scalar() == ROWS
        kind = s.query(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 't' AND column_name = 'qty'"
        ).scalar()
        assert kind == "bigint"


def _small_chunks(plan, rows: int):
    """The plan with every backfill copying `rows` rows per chunk."""

    def smaller(step):
        if step.kind != "copy_chunks":
            return step
        params = dict(step.params) | {"chunk_rows": rows}
        return dataclasses.replace(step, params=tuple(sorted(params.items())))

    ops = [dataclasses.replace(op, steps=tuple(map(smaller, op.steps))) for op in plan.operations]
    return dataclasses.replace(plan, operations=tuple(ops))


def test_a_kill_in_the_backfill_resumes_from_the_last_chunk(pair):
    """The apply connection is killed once the journal holds a backfill checkpoint; a new
    apply resumes from it (status "resumed"), reaches B and keeps every value."""
    a_url, b_url = pair
    plan = _small_chunks(_plan(a_url, b_url), 500)
    with connect(a_url) as s:
        before = s.query(DATA).rows
    session = connect(a_url)
    thread, box = run_in_thread(
        lambda: apply_plan(session, plan, accept_hazards=_accept(plan), throttle_ms=200)
    )
    with connect(a_url) as k:
        deadline = time.monotonic() + 60  # a hang guard, not a timing assertion
        while time.monotonic() < deadline:
            states = k.query(
                "SELECT state FROM _sqlx_journal WHERE state LIKE '%\"last\": [1000]%'"
            ).rows if _journal_exists(k) else []  # fmt: skip
            if states:
                break
            time.sleep(0.02)
        assert states, "the journal never recorded a backfill checkpoint"
        pids = k.query(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE '%\\_sqlx\\_new\\_%' "
            "AND query NOT LIKE '%_sqlx_journal%' AND pid <> pg_backend_pid()"
        ).rows
        assert len(pids) == 1, pids
        k.query(f"SELECT pg_terminate_backend({pids[0][0]})")
    failed = join(thread, box)
    assert failed.status == "failed", failed.message
    op = next(o for o in plan.operations if o.id == failed.failed_op)
    assert op.steps[failed.failed_step].kind == "copy_chunks"
    with connect(a_url) as s:
        saved = s.query(
            "SELECT state FROM _sqlx_journal WHERE op_id = "
            f"'{failed.failed_op}' AND phase = 'apply' AND step_index = {failed.failed_step}"
        ).scalar()
        last = json.loads(saved)["last"][0]
        assert 1000 <= last < ROWS  # part of the table was copied and recorded, not all
        report = apply_plan(s, plan, accept_hazards=_accept(plan))
        assert report.status == "resumed", report.message
        assert report.verified is True
        assert s.query(DATA).rows == before


def _journal_exists(session) -> bool:
    return session.query("SELECT to_regclass('_sqlx_journal') IS NOT NULL").scalar()


def test_only_a_widening_gets_the_shadow_and_its_rollback_is_the_plain_alter(fresh_pg_database):
    """A conversion that may fail (text to integer) would make the sync trigger fail the
    table's writes: it stays the plain ALTER, which fails whole. A widening's rollback (a
    narrowing) is the plain ALTER back for the same reason."""
    with connect(fresh_pg_database) as s:
        s.execute("CREATE TABLE t (id integer PRIMARY KEY, qty integer, code text)")
        desired = "CREATE TABLE t (id integer PRIMARY KEY, qty bigint, code integer)"
        ctx = _large_context(s, fresh_pg_database, desired)
    convert = plain(
        "op-002",
        "alter_column_type",
        _column("code"),
        ["ALTER TABLE public.t ALTER COLUMN code TYPE integer USING code::integer"],
        ["ALTER TABLE public.t ALTER COLUMN code TYPE text USING code::text"],
    )
    wide, other = choose((WIDEN_QTY, convert), ctx)
    assert wide.strategy == "shadow_column"
    assert [st.sql for st in wide.rollback] == [WIDEN_QTY.rollback[0].sql]
    assert other.strategy == "plain"
    assert "text -> integer may fail for some values" in " ".join(other.notes)

"""Shared pieces of the apply / journal / rehearse tests (no tests here).

Plans are built by hand from Operation/Step records (the diff is written in parallel):
`build_plan` runs every op's steps on the live database to learn the target hash, then
every rollback to come back to the source (asserting it does), so the hashes a plan
carries are exactly what the server reports.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from engine import connect
from engine.planner.apply_checks import learn_live
from engine.planner.model import ObjectRef, Operation, Plan, Step

#: what differs per family in these tests (tests may know families; the engine may not)
FAMILIES = {
    "postgres": {
        "dialect": "postgres",
        "schema": "public",
        "drop_index": "DROP INDEX items_name_idx",
        "block": "SELECT pg_advisory_lock(4242), pg_advisory_unlock(4242)",
        "transactional_ddl": True,
    },
    "mariadb": {
        "dialect": "mysql",
        "schema": "",
        "drop_index": "DROP INDEX items_name_idx ON items",
        "block": "SELECT GET_LOCK('sqlx_apply_test', 120), RELEASE_LOCK('sqlx_apply_test')",
        "transactional_ddl": False,
    },
    "sqlite": {
        "dialect": "sqlite",
        "schema": "",
        "drop_index": "DROP INDEX items_name_idx",
        "block": None,
        "transactional_ddl": True,
    },
}

SCHEMA_A = (
    "CREATE TABLE items (id integer PRIMARY KEY, name varchar(50), qty integer NOT NULL DEFAULT 0)",
    "CREATE TABLE side_effects (n integer NOT NULL)",
)
ROWS = 200


@dataclass
class Target:
    family: str
    url: str
    database: str | None
    spec: dict

    @property
    def dialect(self) -> str:
        return self.spec["dialect"]

    def connect(self):
        return connect(self.url)


def make_target(request, family: str, tmp_path) -> Target:
    if family == "postgres":
        url = request.getfixturevalue("fresh_pg_database")
        database = urlsplit(url).path.lstrip("/")
    elif family == "mariadb":
        url = request.getfixturevalue("fresh_mariadb_database")
        database = urlsplit(url).path.lstrip("/")
    else:
        url, database = f"sqlite:///{tmp_path / 'target.db'}", None
    target = Target(family, url, database, FAMILIES[family])
    with target.connect() as s:
        for sql in SCHEMA_A:
            s.execute(sql)
        values = ", ".join(f"({i}, 'item {i}', {i % 7})" for i in range(1, ROWS + 1))
        s.execute(f"INSERT INTO items (id, name, qty) VALUES {values}")
    return target


def op(n: int, kind: str, target: ObjectRef, steps, rollback=(), **kw) -> Operation:
    def as_step(s):
        return s if isinstance(s, Step) else Step(s)

    return Operation(
        f"op-{n:03d}",
        kind,
        target,
        tuple(as_step(s) for s in steps),
        None if rollback is None else tuple(as_step(s) for s in rollback),
        **kw,
    )


def schema_ops(t: Target, start: int = 1) -> list[Operation]:
    """A -> B: a new table, a new column, a new index."""
    schema = t.spec["schema"]
    return [
        op(start, "create_table", ObjectRef("table", schema, "tags"),
           ["CREATE TABLE tags (id integer PRIMARY KEY, label varchar(20))"], ["DROP TABLE tags"]),
        op(start + 1, "add_column", ObjectRef("column", schema, "price", "items"),
           ["ALTER TABLE items ADD COLUMN price integer"], ["ALTER TABLE items DROP COLUMN price"]),
        op(start + 2, "create_index", ObjectRef("index", schema, "items_name_idx", "items"),
           ["CREATE INDEX items_name_idx ON items (name)"], [t.spec["drop_index"]],
           hazards=("INDEX_BUILD",)),
    ]  # fmt: skip


def side_effect_op(t: Target, n: int) -> Operation:
    """A data step whose re-run would show: it inserts one row."""
    insert, delete = (
        "INSERT INTO side_effects (n) VALUES (1)",
        "DELETE FROM side_effects WHERE n = 1",
    )
    return op(n, "data", ObjectRef("table", t.spec["schema"], "side_effects"), [insert], [delete])


def block_op(t: Target, n: int, transactional: bool) -> Operation:
    """A step that waits for a lock the test holds (so the test can kill it mid-step)."""
    return op(n, "wait", ObjectRef("table", t.spec["schema"], "side_effects"),
              [Step(t.spec["block"], transactional=transactional)], [])  # fmt: skip


def build_plan(t: Target, ops: list[Operation], *, with_snapshots: bool = True) -> Plan:
    """Learn A, run the ops forward (B), then their rollbacks back to A (asserted)."""
    with t.connect() as s:
        db = t.database or "main"
        before = learn_live(s, db)
        for o in ops:
            for step in o.steps:
                s.execute(step.sql)
        after = learn_live(s, db)
        for o in reversed(ops):
            for step in o.rollback or ():
                s.execute(step.sql)
        back = learn_live(s, db)
    assert back.hash == before.hash, "the hand-written rollback SQL does not restore A"
    source = {}
    if with_snapshots:
        source = {"from": {"snapshot": before.snapshot}, "to": {"snapshot": after.snapshot}}
    return Plan(t.dialect, before.hash, after.hash, after.hash_unordered, tuple(ops), source=source)


def live_hash(t: Target, unordered: bool = False) -> str:
    with t.connect() as s:
        live = learn_live(s, t.database or "main")
    return live.hash_unordered if unordered else live.hash


def data_fingerprint(t: Target) -> tuple:
    with t.connect() as s:
        return tuple(s.query("SELECT count(*), sum(id), sum(qty) FROM items").rows[0])


def side_effect_count(t: Target) -> int:
    with t.connect() as s:
        return int(s.query("SELECT count(*) FROM side_effects").rows[0][0])


def journal_rows(t: Target) -> list[tuple]:
    """(op_id, phase, step_index, status, error) of every row, in order."""
    with t.connect() as s:
        rows = s.query(
            "SELECT op_id, phase, step_index, status, error FROM _sqlx_journal "
            "ORDER BY run_id, op_id, phase, step_index"
        ).rows
    return [tuple(r) for r in rows]


def journal_exists(t: Target) -> bool:
    from engine.errors import ServerError

    with t.connect() as s:
        try:
            s.query("SELECT count(*) FROM _sqlx_journal")
        except ServerError:
            return False
    return True


# -- killing an apply mid-step -------------------------------------------------------------


def _pg(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def _maria(url: str):
    from tests._services import mariadb_connect

    return mariadb_connect(url)


class Blocker:
    """Holds the lock the plan's `block` step waits for, finds the apply connection once
    the journal shows the step started and the server shows it waiting, and kills it."""

    def __init__(self, t: Target) -> None:
        self.t = t
        self.conn = _pg(t.url) if t.family == "postgres" else _maria(t.url)
        self._sql(
            "SELECT pg_advisory_lock(4242)"
            if t.family == "postgres"
            else "SELECT GET_LOCK('sqlx_apply_test', 1)"
        )

    def _sql(self, sql: str):
        if self.t.family == "postgres":
            return self.conn.execute(sql).fetchall()
        with self.conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def wait_started(self, op_id: str, guard_s: float = 60.0) -> None:
        self.wait_phase(op_id, "apply", guard_s)

    def wait_phase(self, op_id: str, phase: str, guard_s: float = 60.0) -> None:
        deadline = time.monotonic() + guard_s  # a hang guard, not a timing assertion
        sql = f"SELECT status FROM _sqlx_journal WHERE op_id = '{op_id}' AND phase = '{phase}'"
        while time.monotonic() < deadline:
            try:
                if ("started",) in [tuple(r) for r in self._sql(sql)]:
                    return
            except Exception:  # the journal table may not exist yet
                pass
            time.sleep(0.05)
        pytest.fail(f"the journal never showed {op_id} started")

    def kill_waiter(self, guard_s: float = 60.0) -> None:
        if self.t.family == "postgres":
            find = (
                "SELECT pid FROM pg_stat_activity "
                "WHERE query LIKE 'SELECT pg_advisory_lock(4242), %' "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            kill = "SELECT pg_terminate_backend({})"
        else:
            find = (
                "SELECT id FROM information_schema.processlist "
                "WHERE info LIKE 'SELECT GET_LOCK(%' AND id <> CONNECTION_ID()"
            )
            kill = "KILL {}"
        deadline = time.monotonic() + guard_s
        while time.monotonic() < deadline:
            rows = self._sql(find)
            if rows:
                self._sql(kill.format(rows[0][0]))
                return
            time.sleep(0.05)
        pytest.fail("the apply connection never showed up waiting for the lock")

    def release(self) -> None:
        self._sql(
            "SELECT pg_advisory_unlock_all()"
            if self.t.family == "postgres"
            else "SELECT RELEASE_LOCK('sqlx_apply_test')"
        )

    def close(self) -> None:
        self.conn.close()


def run_in_thread(fn):
    """Start fn() in a thread; `join` hands back its result or raises its exception."""
    box: dict = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as exc:  # handed to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def join(thread, box, guard_s: float = 90.0):
    thread.join(guard_s)
    if thread.is_alive():
        pytest.fail("apply did not return after its connection was killed")
    if "error" in box:
        raise box["error"]
    return box["result"]

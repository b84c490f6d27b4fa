"""apply_plan / rollback_plan on real PostgreSQL, MariaDB and SQLite: apply + verify +
rollback, guardrails, drift refusal, dry run, a second apply, lock-timeout retries."""

from __future__ import annotations

import dataclasses

import pytest

from engine.errors import PlanError, PlanRefused
from engine.planner.apply import apply_plan, rollback_plan
from engine.planner.model import ObjectRef, Plan
from tests.planner.test_apply_support import (
    FAMILIES,
    build_plan,
    data_fingerprint,
    journal_exists,
    journal_rows,
    live_hash,
    make_target,
    op,
    schema_ops,
)

ACCEPT = frozenset({"INDEX_BUILD"})


@pytest.fixture(params=sorted(FAMILIES))
def target(request, tmp_path):
    return make_target(request, request.param, tmp_path)


def test_apply_verify_rollback(target):
    plan = build_plan(target, schema_ops(target))
    data = data_fingerprint(target)
    seen = []
    with target.connect() as s:
        report = apply_plan(
            s, plan, accept_hazards=ACCEPT, progress=lambda *a: seen.append((a[0].id, a[2], a[3]))
        )
    assert report.status == "applied", report.message
    assert report.verified is True
    assert report.verification_hash == plan.target_hash_unordered
    assert [o.status for o in report.operations] == ["done"] * 3
    assert [o.steps_run for o in report.operations] == [1, 1, 1]
    assert seen == [("op-001", 1, 3), ("op-002", 2, 3), ("op-003", 3, 3)]
    assert live_hash(target) == plan.target_hash
    assert data_fingerprint(target) == data
    assert [r[:4] for r in journal_rows(target)] == [
        ("op-001", "apply", 0, "done"),
        ("op-002", "apply", 0, "done"),
        ("op-003", "apply", 0, "done"),
    ]

    with target.connect() as s:
        back = rollback_plan(s, plan)
    assert back.status == "rolled_back", back.message
    assert back.verified is True
    assert back.run_id == report.run_id
    assert [o.status for o in back.operations] == ["rolled_back"] * 3
    assert live_hash(target) == plan.source_hash
    assert data_fingerprint(target) == data
    statuses = {(r[0], r[1]): r[3] for r in journal_rows(target)}
    assert statuses[("op-001", "apply")] == "rolled_back"
    assert statuses[("op-003", "rollback")] == "done"

    with target.connect() as s:  # the plan can be applied again after a rollback
        again = apply_plan(s, plan, accept_hazards=ACCEPT)
    assert again.status == "applied" and again.run_id != report.run_id


def test_second_apply_says_so_and_does_nothing(target):
    plan = build_plan(target, schema_ops(target))
    with target.connect() as s:
        first = apply_plan(s, plan, accept_hazards=ACCEPT)
    rows = journal_rows(target)
    with target.connect() as s:
        second = apply_plan(s, plan, accept_hazards=ACCEPT)
    assert first.status == "applied"
    assert second.status == "noop"
    assert "already applied" in second.message and first.run_id in second.message
    assert journal_rows(target) == rows
    assert all(o.steps_run == 0 for o in second.operations)


def test_dry_run_touches_nothing(target):
    plan = build_plan(target, schema_ops(target))
    with target.connect() as s:
        report = apply_plan(s, plan, dry_run=True, accept_hazards=ACCEPT)
    assert report.status == "dry_run"
    assert report.sql == tuple(step.sql for o in plan.operations for step in o.steps)
    assert [o.status for o in report.operations] == ["would_run"] * 3
    assert live_hash(target) == plan.source_hash
    assert not journal_exists(target)


def test_drift_is_refused_and_shown(target):
    plan = build_plan(target, schema_ops(target))
    with target.connect() as s:
        s.execute("ALTER TABLE items ADD COLUMN extra integer")
        s.execute("CREATE TABLE surprise (id integer)")
    with target.connect() as s, pytest.raises(PlanRefused) as info:
        apply_plan(s, plan, accept_hazards=ACCEPT)
    changes = info.value.details["drift"]["changes"]
    assert any("column" in c and "items.extra added" in c for c in changes), changes
    assert any(c.startswith("table") and "surprise added" in c for c in changes), changes
    assert "items.extra added" in info.value.message
    assert info.value.exit_code == 1
    assert live_hash(target) != plan.target_hash
    assert not journal_exists(target)

    bare = dataclasses.replace(plan, source={})  # without its snapshot: hashes and live side
    with target.connect() as s, pytest.raises(PlanRefused) as info:
        apply_plan(s, bare, accept_hazards=ACCEPT)
    assert plan.source_hash in info.value.message and "surprise" in info.value.message


def test_destructive_refused_without_allow_destructive(target):
    schema = target.spec["schema"]
    drop = op(1, "drop_column", ObjectRef("column", schema, "qty", "items"),
              ["ALTER TABLE items DROP COLUMN qty"], None, irreversible="the column's data is gone",
              hazards=("DATA_LOSS",))  # fmt: skip
    before = live_hash(target)
    plan = dataclasses.replace(
        build_plan(target, schema_ops(target)), operations=(drop,), target_hash="x"
    )
    with target.connect() as s, pytest.raises(PlanRefused) as info:
        apply_plan(s, plan)
    assert info.value.details["destructive"] == ["op-001"]
    assert "allow_destructive" in info.value.message
    assert live_hash(target) == before


def test_hazards_must_be_accepted(target):
    plan = build_plan(target, schema_ops(target))
    with target.connect() as s, pytest.raises(PlanRefused) as info:
        apply_plan(s, plan)
    assert info.value.details["hazards"] == {"INDEX_BUILD": ["op-003"]}
    assert "INDEX_BUILD (op-003)" in info.value.message
    with target.connect() as s, pytest.raises(PlanRefused) as info:
        apply_plan(s, plan, accept_hazards=ACCEPT, policy=lambda p: ["no index builds on Friday"])
    assert info.value.details["policy"] == ["no index builds on Friday"]
    assert live_hash(target) == plan.source_hash


def test_failed_step_names_op_and_resume_after_fix(target):
    plan = build_plan(target, schema_ops(target))
    first, second, third = plan.operations
    bad = dataclasses.replace(second.steps[0], sql="ALTER TABLE nope ADD COLUMN price integer")
    broken_op = dataclasses.replace(second, steps=(bad,))
    broken = dataclasses.replace(plan, operations=(first, broken_op, third))
    with target.connect() as s:
        report = apply_plan(s, broken, accept_hazards=ACCEPT)
    assert report.status == "failed"
    assert report.failed_op == "op-002" and report.failed_step == 0
    assert "op-002 (add_column on column" in report.message and "step 1/1" in report.message
    assert report.operation("op-002").status == "failed"
    assert report.operation("op-003").status == "pending"
    rows = {(r[0], r[1], r[2]): r[3] for r in journal_rows(target)}
    assert rows[("op-002", "apply", 0)] == "failed"
    if target.spec["transactional_ddl"]:  # one transaction: op-001 rolled back with it
        assert rows.get(("op-001", "apply", 0)) != "done"
        assert live_hash(target) == plan.source_hash
    else:
        assert rows[("op-001", "apply", 0)] == "done"


def test_verification_failure_keeps_changes_and_says_how_to_roll_back(target):
    plan = build_plan(target, schema_ops(target))
    wrong = dataclasses.replace(plan, target_hash_unordered="sha256:" + "0" * 64)
    with target.connect() as s:
        report = apply_plan(s, wrong, accept_hazards=ACCEPT)
    assert report.status == "failed" and report.verified is False
    assert "rollback" in report.message and report.run_id in report.message
    assert live_hash(target) == plan.target_hash  # the changes stay


def test_rollback_refuses_irreversible_ops_unless_allowed(target):
    plan = build_plan(target, schema_ops(target))
    ops = list(plan.operations)
    ops[0] = dataclasses.replace(ops[0], rollback=None, irreversible="pretend it cannot be undone")
    plan = dataclasses.replace(plan, operations=tuple(ops))
    with target.connect() as s:
        assert apply_plan(s, plan, accept_hazards=ACCEPT).status == "applied"
    with target.connect() as s, pytest.raises(PlanRefused) as info:
        rollback_plan(s, plan)
    assert info.value.details["irreversible"] == {"op-001": "pretend it cannot be undone"}
    assert live_hash(target) == plan.target_hash
    with target.connect() as s:
        report = rollback_plan(s, plan, allow_destructive=True)
    assert report.status == "rolled_back"
    assert report.operation("op-001").status == "left"
    assert [report.operation(i).status for i in ("op-002", "op-003")] == ["rolled_back"] * 2
    assert any("op-001 left in place" in n for n in report.notes)


def test_rollback_without_journal_and_rollback_dry_run(target):
    plan = build_plan(target, schema_ops(target))
    with target.connect() as s:
        for o in plan.operations:  # applied by hand: no journal
            s.execute(o.steps[0].sql)
    with target.connect() as s:
        dry = rollback_plan(s, plan, dry_run=True)
    assert dry.status == "dry_run"
    assert dry.sql == tuple(o.rollback[0].sql for o in reversed(plan.operations))
    assert live_hash(target) == plan.target_hash
    with target.connect() as s:
        report = rollback_plan(s, plan)
    assert report.status == "rolled_back" and report.verified
    assert live_hash(target) == plan.source_hash
    with target.connect() as s:
        assert rollback_plan(s, plan).status == "noop"


def test_malformed_plan_is_a_plan_error(target):
    plan = build_plan(target, schema_ops(target))
    dup = dataclasses.replace(plan, operations=(plan.operations[0], plan.operations[0]))
    with target.connect() as s, pytest.raises(PlanError):
        apply_plan(s, dup)


@pytest.mark.parametrize("family", ["postgres"])
def test_lock_timeout_retries_then_succeeds(request, tmp_path, family):
    import threading

    import psycopg

    t = make_target(request, family, tmp_path)
    ops = schema_ops(t)
    ops[1] = dataclasses.replace(ops[1], lock_timeout_ms=50)
    plan = build_plan(t, ops)
    holder = psycopg.connect(t.url)  # an open transaction that read items: ALTER must wait
    holder.execute("SELECT id FROM items LIMIT 1")

    def release_after_first_failure():
        watch = psycopg.connect(t.url, autocommit=True)
        for _ in range(1200):  # hang guard only
            sql = "SELECT error FROM _sqlx_journal WHERE op_id = 'op-002' AND status = 'failed'"
            rows = watch.execute(sql).fetchall() if _journal_there(watch) else []
            if rows:
                break
            threading.Event().wait(0.05)
        holder.rollback()
        watch.close()

    releaser = threading.Thread(target=release_after_first_failure, daemon=True)
    releaser.start()
    with t.connect() as s:
        report = apply_plan(s, plan, accept_hazards=ACCEPT, lock_retries=8)
    releaser.join(30)
    holder.close()
    assert report.status == "applied", report.message
    assert report.operation("op-002").attempts >= 2
    assert live_hash(t) == plan.target_hash


def _journal_there(conn) -> bool:
    return bool(conn.execute("SELECT to_regclass('_sqlx_journal')").fetchone()[0])


@pytest.mark.parametrize("family", ["postgres", "mariadb"])
def test_lock_timeout_gives_up_with_a_clear_message(request, tmp_path, family):
    t = make_target(request, family, tmp_path)
    ops = schema_ops(t)
    ops[1] = dataclasses.replace(ops[1], lock_timeout_ms=50)
    plan = build_plan(t, ops)
    if family == "postgres":
        import psycopg

        holder = psycopg.connect(t.url)  # an open transaction that read items
        holder.execute("SELECT id FROM items LIMIT 1")
    else:
        from tests._services import mariadb_connect

        holder = mariadb_connect(t.url)
        with holder.cursor() as cur:  # an open transaction that read items: a metadata lock
            cur.execute("START TRANSACTION")
            cur.execute("SELECT id FROM items LIMIT 1")
            cur.fetchall()
    try:
        with t.connect() as s:
            report = apply_plan(s, plan, accept_hazards=ACCEPT, lock_retries=1)
    finally:
        holder.close()
    assert report.status == "failed"
    assert report.failed_op == "op-002"
    assert "lock timeout, gave up after 2 attempts" in report.message
    with t.connect() as s:  # the lock is gone: the same plan resumes and completes
        again = apply_plan(s, plan, accept_hazards=ACCEPT)
    assert again.status in ("resumed", "applied"), again.message
    assert live_hash(t) == plan.target_hash


@pytest.mark.parametrize(
    ("family", "sleep"),
    [("postgres", "SELECT pg_sleep(30)"), ("mariadb", "SELECT SLEEP(30)")],
)
def test_statement_timeout_of_the_op_bounds_its_step(request, tmp_path, family, sleep):
    t = make_target(request, family, tmp_path)
    here = live_hash(t)
    slow = op(1, "wait", ObjectRef("table", t.spec["schema"], "items"), [sleep], [],
              statement_timeout_ms=200)  # fmt: skip
    plan = Plan(t.dialect, here, here, live_hash(t, unordered=True), (slow,))
    with t.connect() as s:
        report = apply_plan(s, plan)
        assert s.query("SELECT 1").rows == [(1,)]  # the session is still usable
    assert report.status == "failed", report.message
    assert report.failed_op == "op-001"
    assert "op-001 (wait on table" in report.message
    assert any(w in report.message for w in ("statement timeout", "max_statement_time"))


def test_an_empty_plan_is_a_noop(target):
    here = live_hash(target)
    plan = Plan(target.dialect, here, here, live_hash(target, unordered=True), ())
    with target.connect() as s:
        report = apply_plan(s, plan)
    assert report.status == "noop" and "nothing to do" in report.message
    assert not journal_exists(target)

"""The journal: rows round-trip any text, run states, plan identity, the apply lock,
and the per-family data files have what the engine reads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from engine.errors import PlanRefused
from engine.planner.apply import apply_plan, rollback_plan
from engine.planner.journal import Journal, Row, Run, family_spec, new_run_id, plan_digest
from engine.planner.model import ObjectRef, Operation, Plan, Step
from tests.planner.test_apply_support import (
    FAMILIES,
    build_plan,
    journal_rows,
    live_hash,
    make_target,
    schema_ops,
)

ROOT = Path(__file__).resolve().parents[2]
ACCEPT = frozenset({"INDEX_BUILD"})
NASTY = "it's a \\ back'slash\n\ttab; -- comment /* x */ \"q\" ünï €"


@pytest.fixture(params=sorted(FAMILIES))
def target(request, tmp_path):
    return make_target(request, request.param, tmp_path)


def tiny_plan(sql: str = "SELECT 1") -> Plan:
    op = Operation("op-001", "noop", ObjectRef("table", "", "t"), (Step(sql),), ())
    return Plan("sqlite", "sha256:a", "sha256:b", "sha256:b", (op,))


def test_rows_round_trip_any_text(target):
    plan = build_plan(target, schema_ops(target))
    with target.connect() as s:
        journal = Journal(s, family_spec(s), plan)
        journal.ensure()
        run_id = new_run_id()
        row = journal.started(run_id, "op-001", "apply", 0, {"last": [NASTY, 3], "n": None})
        journal.failed(row, NASTY)
        journal.close()
        runs = Journal(s, family_spec(s), plan).runs()
    assert [r.run_id for r in runs] == [run_id]
    got = runs[0].row("op-001", "apply", 0)
    assert got.status == "failed"
    assert got.error == NASTY
    assert got.state == {"last": [NASTY, 3], "n": None}


def test_run_state_machine():
    plan = dataclasses.replace(
        tiny_plan(),
        operations=(
            Operation("op-001", "k", ObjectRef("table", "", "a"), (Step("1"), Step("2")), ()),
            Operation("op-002", "k", ObjectRef("table", "", "b"), (Step("3"),), ()),
        ),
    )

    def run(*rows):
        built = {(r[0], r[1], r[2]): Row("r1", "d", r[0], r[1], r[2], r[3]) for r in rows}
        return Run("r1", "d", built).state(plan)

    assert run(("op-001", "apply", 0, "done")) == "interrupted"
    assert run(("op-001", "apply", 0, "started")) == "interrupted"
    done = [("op-001", "apply", 0, "done"), ("op-001", "apply", 1, "done")]
    assert run(*done, ("op-002", "apply", 0, "done")) == "complete"
    assert run(*done, ("op-001", "rollback", 0, "done")) == "rolling_back"
    assert run(("op-001", "apply", 0, "rolled_back"), ("op-001", "rollback", 0, "done")) == (
        "rolled_back"
    )


def test_plan_digest_changes_with_the_steps():
    assert plan_digest(tiny_plan()) == plan_digest(tiny_plan())
    assert plan_digest(tiny_plan()) != plan_digest(tiny_plan("SELECT 2"))


def test_another_unfinished_plan_with_the_same_hashes_is_refused(request, tmp_path):
    t = make_target(request, "sqlite", tmp_path)
    plan = build_plan(t, schema_ops(t))
    with t.connect() as s:
        journal = Journal(s, family_spec(s), plan)
        journal.ensure()
        journal.started(new_run_id(), "op-001", "apply", 0, None)
    other = dataclasses.replace(
        plan, operations=(plan.operations[0], plan.operations[2], plan.operations[1])
    )
    with t.connect() as s, pytest.raises(PlanRefused) as info:
        apply_plan(s, other, accept_hazards=ACCEPT)
    assert "another plan" in info.value.message
    with t.connect() as s:  # the plan that left it unfinished resumes it
        assert apply_plan(s, plan, accept_hazards=ACCEPT).status == "resumed"


def test_unfinished_rollback_blocks_apply_until_finished(request, tmp_path):
    t = make_target(request, "sqlite", tmp_path)
    plan = build_plan(t, schema_ops(t))
    with t.connect() as s:
        assert apply_plan(s, plan, accept_hazards=ACCEPT).status == "applied"
        s.execute(plan.operations[2].rollback[0].sql)  # undo op-003 by hand, journal it
        s.execute(
            "INSERT INTO _sqlx_journal SELECT run_id, plan_source, plan_target, plan_digest, "
            "op_id, 'rollback', 0, 'done', started_at, finished_at, NULL, NULL "
            "FROM _sqlx_journal WHERE op_id = 'op-003'"
        )
        s.execute("UPDATE _sqlx_journal SET status = 'rolled_back' WHERE op_id = 'op-003'")
    with t.connect() as s, pytest.raises(PlanRefused) as info:
        apply_plan(s, plan, accept_hazards=ACCEPT)
    assert "rollback of this plan" in info.value.message
    with t.connect() as s:
        report = rollback_plan(s, plan)
    assert report.status == "rolled_back" and report.verified
    assert report.operation("op-003").steps_run == 0
    assert live_hash(t) == plan.source_hash
    statuses = {(r[0], r[1]): r[3] for r in journal_rows(t)}
    assert statuses[("op-001", "apply")] == "rolled_back"


@pytest.mark.parametrize("family", ["postgres", "mariadb"])
def test_a_second_apply_at_the_same_time_is_refused(request, tmp_path, family):
    t = make_target(request, family, tmp_path)
    plan = build_plan(t, schema_ops(t))
    with t.connect() as holder:
        journal = Journal(holder, family_spec(holder), plan)
        journal.acquire(t.database)
        with t.connect() as s, pytest.raises(PlanRefused) as info:
            apply_plan(s, plan, accept_hazards=ACCEPT)
        assert "another apply or rollback is running" in info.value.message
        journal.release()
    with t.connect() as s:
        assert apply_plan(s, plan, accept_hazards=ACCEPT).status == "applied"


@pytest.mark.parametrize("folder", sorted(p.name for p in (ROOT / "transports/flo").iterdir()))
def test_every_family_has_journal_data(folder):
    path = ROOT / "transports/flo" / folder / "journal.json"
    if not (ROOT / "transports/flo" / folder / "catalog.json").exists():
        return
    spec = json.loads(path.read_text())
    for key in ("create", "select", "insert", "update", "literals", "transaction", "errors"):
        assert key in spec, f"{path}: {key}"
    assert "_sqlx_journal" in spec["create"]
    for name in ("lock_timeout", "already_applied"):
        assert spec["errors"][name], f"{path}: errors.{name}"
    fields = ("run_id", "op_id", "phase", "step_index", "status", "error", "state")
    for template in ("insert", "update"):
        for field in fields:
            assert "{" + field + "}" in spec[template], f"{path}: {template} lacks {field}"

"""THE fault tests: the apply connection is killed in the middle of a step.

The plan's third operation waits for a lock the test holds; once the journal shows that
step started and the server shows the connection waiting, the test kills the connection
(pg_terminate_backend / KILL). Then: the apply reports a failure naming the op, the
journal says where it stopped, and either a re-run on a new session resumes (earlier done
steps are not run again: the side-effect table has exactly one row) or a rollback restores
A. The data table's rows are the same throughout.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.errors import PlanRefused
from engine.planner.apply import apply_plan, rollback_plan
from engine.planner.model import Step
from tests.planner.test_apply_support import (
    Blocker,
    block_op,
    build_plan,
    data_fingerprint,
    join,
    journal_rows,
    live_hash,
    make_target,
    run_in_thread,
    schema_ops,
    side_effect_count,
    side_effect_op,
)

ACCEPT = frozenset({"INDEX_BUILD"})


def fault_plan(t, *, block_transactional: bool):
    """op-001 create table, op-002 insert a side-effect row, op-003 wait (killed here),
    op-004 add column, op-005 create index."""
    tags, price, index = schema_ops(t)
    wait = block_op(t, 3, block_transactional)
    ops = [
        tags,
        side_effect_op(t, 2),
        wait,
        replace(price, id="op-004"),
        replace(index, id="op-005"),
    ]
    return build_plan(t, ops)


def kill_mid_apply(t, plan):
    """Start the apply, kill its connection inside op-003; the failed report."""
    blocker = Blocker(t)
    try:
        session = t.connect()
        thread, box = run_in_thread(lambda: apply_plan(session, plan, accept_hazards=ACCEPT))
        blocker.wait_started("op-003")
        blocker.kill_waiter()
        report = join(thread, box)
        session.close()
    finally:
        blocker.release()
        blocker.close()
    return report


def statuses(t) -> dict:
    return {(r[0], r[1], r[2]): r[3] for r in journal_rows(t)}


@pytest.mark.parametrize("family", ["postgres", "mariadb"])
def test_killed_apply_resumes_without_rerunning_done_steps(request, tmp_path, family):
    t = make_target(request, family, tmp_path)
    plan = fault_plan(t, block_transactional=False)  # runs alone: what came before committed
    data = data_fingerprint(t)

    report = kill_mid_apply(t, plan)
    assert report.status == "failed"
    assert report.failed_op == "op-003" and report.failed_step == 0
    assert "op-003" in report.message and "resume" in report.message
    assert report.operation("op-003").status == "failed"
    assert report.operation("op-004").status == "pending"
    seen = statuses(t)
    assert seen[("op-001", "apply", 0)] == "done"
    assert seen[("op-002", "apply", 0)] == "done"
    assert seen[("op-003", "apply", 0)] in ("failed", "started")  # where it stopped
    assert ("op-004", "apply", 0) not in seen
    assert side_effect_count(t) == 1

    with t.connect() as s:  # a new session: resume
        again = apply_plan(s, plan, accept_hazards=ACCEPT)
    assert again.status == "resumed", again.message
    assert again.run_id == report.run_id
    assert again.verified is True
    assert [again.operation(f"op-00{i}").status for i in (1, 2)] == ["skipped", "skipped"]
    assert [again.operation(f"op-00{i}").steps_run for i in (3, 4, 5)] == [1, 1, 1]
    assert side_effect_count(t) == 1  # op-002 was not run again
    assert set(statuses(t).values()) == {"done"}
    assert live_hash(t) == plan.target_hash
    assert data_fingerprint(t) == data


@pytest.mark.parametrize("family", ["postgres", "mariadb"])
def test_killed_apply_then_rollback_restores_a(request, tmp_path, family):
    t = make_target(request, family, tmp_path)
    plan = fault_plan(t, block_transactional=False)
    data = data_fingerprint(t)
    report = kill_mid_apply(t, plan)
    assert report.status == "failed" and report.failed_op == "op-003"

    with t.connect() as s:
        back = rollback_plan(s, plan)
    assert back.status == "rolled_back", back.message
    assert back.verified is True
    assert [back.operation(i).status for i in ("op-001", "op-002")] == ["rolled_back"] * 2
    assert back.operation("op-004").status == "not_applied"
    assert live_hash(t) == plan.source_hash
    assert side_effect_count(t) == 0
    assert data_fingerprint(t) == data
    seen = statuses(t)
    assert seen[("op-001", "apply", 0)] == "rolled_back"
    assert seen[("op-001", "rollback", 0)] == "done"

    with t.connect() as s:  # A again: the plan applies from scratch
        fresh = apply_plan(s, plan, accept_hazards=ACCEPT)
    assert fresh.status == "applied" and fresh.run_id != report.run_id
    assert side_effect_count(t) == 1


def test_killed_inside_a_transaction_leaves_nothing_and_resumes(request, tmp_path):
    """PostgreSQL: the waiting step shares one transaction with op-001/op-002, so the kill
    rolls all of it back: no done rows, A intact; the resume runs everything once."""
    t = make_target(request, "postgres", tmp_path)
    plan = fault_plan(t, block_transactional=True)
    report = kill_mid_apply(t, plan)
    assert report.status == "failed" and report.failed_op == "op-003"
    assert "done" not in statuses(t).values()
    assert live_hash(t) == plan.source_hash
    assert side_effect_count(t) == 0

    with t.connect() as s:
        again = apply_plan(s, plan, accept_hazards=ACCEPT)
    assert again.status == "resumed" and again.verified
    assert side_effect_count(t) == 1
    assert live_hash(t) == plan.target_hash


@pytest.mark.parametrize("family", ["mariadb", "sqlite"])
def test_lost_checkpoint_of_an_autocommitted_step_is_recognised(request, tmp_path, family):
    """The step ran but its done row never landed (killed between the two): on resume the
    server answers "already exists", which counts as done; nothing runs twice."""
    t = make_target(request, family, tmp_path)
    plan = build_plan(t, schema_ops(t))
    with t.connect() as s:
        assert apply_plan(s, plan, accept_hazards=ACCEPT).status == "applied"
        s.execute(
            "UPDATE _sqlx_journal SET status = 'started', finished_at = NULL "
            "WHERE op_id IN ('op-002', 'op-003')"
        )
        s.execute("DROP TABLE tags")
        s.execute("UPDATE _sqlx_journal SET status = 'started' WHERE op_id = 'op-001'")
    with t.connect() as s:
        again = apply_plan(s, plan, accept_hazards=ACCEPT)
    assert again.status == "resumed", again.message
    assert again.verified is True
    assert any("already in effect" in n for n in again.operation("op-002").notes)
    assert any("already in effect" in n for n in again.operation("op-003").notes)
    assert again.operation("op-001").notes == ()  # really re-run: the table was gone
    assert live_hash(t) == plan.target_hash


@pytest.mark.parametrize("family", ["postgres", "mariadb"])
def test_killed_rollback_resumes(request, tmp_path, family):
    """The rollback's connection is killed inside op-001's undo (after op-002's undo
    committed): rolling back again finishes the job without undoing op-002 twice."""
    t = make_target(request, family, tmp_path)
    tags, _, _ = schema_ops(t)
    wait = Step(t.spec["block"], transactional=False)
    tags = replace(tags, rollback=(wait, *tags.rollback))
    plan = build_plan(t, [tags, side_effect_op(t, 2)])
    data = data_fingerprint(t)
    with t.connect() as s:
        assert apply_plan(s, plan).status == "applied"
    assert side_effect_count(t) == 1

    blocker = Blocker(t)
    try:
        session = t.connect()
        thread, box = run_in_thread(lambda: rollback_plan(session, plan))
        blocker.wait_phase("op-001", "rollback")
        blocker.kill_waiter()
        report = join(thread, box)
        session.close()
    finally:
        blocker.release()
        blocker.close()
    assert report.status == "failed" and report.action == "rollback"
    assert report.failed_op == "op-001" and report.failed_step == 0
    seen = statuses(t)
    assert seen[("op-002", "apply", 0)] == "rolled_back"
    assert seen[("op-001", "apply", 0)] == "done"
    assert side_effect_count(t) == 0

    with t.connect() as s, pytest.raises(PlanRefused):  # half rolled back: apply refuses
        apply_plan(s, plan)
    with t.connect() as s:
        back = rollback_plan(s, plan)
    assert back.status == "rolled_back" and back.verified, back.message
    assert back.operation("op-002").steps_run == 0  # its undo was not run twice
    assert live_hash(t) == plan.source_hash
    assert data_fingerprint(t) == data

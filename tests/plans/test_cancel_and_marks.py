"""Cancelling an apply mid-way on a server without transactional DDL (MariaDB): it stops
after the running step, the engine's journal keeps what ran, the plan says so, and applying
again resumes. Each operation's live status is kept on the run (marks) as it goes. A plan
computed without the online_apply entitlement says that is why, not "planned offline"."""

from __future__ import annotations

from apps.jobs.actions import do_cancel_run
from apps.jobs.models import Run
from apps.plans import actions, execution
from apps.plans.models import Plan, PlanExecution
from tests.connections.conftest import MARIADB_TABLES
from tests.plans.conftest import learned
from tests.plans.test_flow import customer_columns

TWO_COLUMNS = ";\n".join(MARIADB_TABLES).replace(
    "NOT NULL UNIQUE)", "NOT NULL UNIQUE, nickname VARCHAR(50), city VARCHAR(50))"
)


def test_cancel_mid_apply_keeps_a_record_and_apply_again_resumes(
    world, acme, owner, mariadb_shop, make_plan, run_queued, monkeypatch, host_client
):
    target = learned(acme, owner, mariadb_shop)
    plan = make_plan(acme, owner, target, desired_sql=TWO_COLUMNS)
    assert plan.state == Plan.State.DRAFT, plan.error
    assert len(plan.operations) == 2
    first, second = (op["id"] for op in plan.operations)

    real = execution._progress

    def cancel_after_first_op(rep, finished):
        report = real(rep, finished)

        def wrapped(op, step, done, total):
            report(op, step, done, total)  # the first op's mark is stored...
            do_cancel_run(rep.run, owner, "owner")  # ...then a member presses Cancel

        return wrapped

    monkeypatch.setattr(execution, "_progress", cancel_after_first_op)
    cancelled = run_queued(actions.do_apply, plan, owner, accept_hazards=plan.hazards)
    cancelled.refresh_from_db()
    plan.refresh_from_db()
    run = cancelled.run
    assert run.state == Run.State.CANCELLED and "Cancelled by owner@acme.test" in run.error
    assert run.marks == {execution.mark_key(first): "done"}
    assert cancelled.outcome == PlanExecution.Outcome.FAILED
    assert "journal in the target records what ran" in cancelled.message
    assert plan.state == Plan.State.FAILED
    columns = customer_columns("mariadb_shop", mariadb_shop)
    assert "nickname" in columns and "city" not in columns  # stopped between the two

    page = host_client(owner, "acme.localhost").get(f"/plans/{plan.pk}/").content.decode()
    assert f'data-run-mark="{run.pk}:op:{first}"' in page and "journal" in page

    monkeypatch.setattr(execution, "_progress", real)
    again = run_queued(actions.do_apply, plan, owner, accept_hazards=plan.hazards)
    again.refresh_from_db()
    plan.refresh_from_db()
    assert again.outcome == PlanExecution.Outcome.APPLIED, again.message
    assert plan.state == Plan.State.APPLIED
    assert {"nickname", "city"} <= customer_columns("mariadb_shop", mariadb_shop)
    statuses = {op["op_id"]: op["status"] for op in again.report["operations"]}
    assert statuses[second] == "done"
    assert again.run.marks[execution.mark_key(second)] == "done"


def test_without_the_entitlement_the_note_names_the_license(
    world, acme, owner, mariadb_shop, make_plan, host_client
):
    target = learned(acme, owner, mariadb_shop)
    plan = make_plan(acme, owner, target, desired_sql=TWO_COLUMNS)
    assert plan.online is False
    notes = [n for op in plan.operations for n in op["notes"]]
    assert any(n.startswith(views_offline()) for n in notes)  # what the engine wrote
    page = host_client(owner, "acme.localhost").get(f"/plans/{plan.pk}/").content.decode()
    assert "online strategies need the “online_apply” entitlement" in page
    assert "planned offline (no learned capabilities)" not in page


def views_offline() -> str:
    from apps.plans.views import OFFLINE_NOTE

    return OFFLINE_NOTE

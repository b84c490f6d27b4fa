"""A worker that dies mid-apply: the run is failed by the reaper with a reason, and the
plan and its execution record say so instead of staying "applying" for ever."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.jobs.models import Run
from apps.plans import actions
from apps.plans.models import Plan, PlanExecution
from tests.plans.factories import stored_plan


def test_dead_worker_fails_the_plan_with_a_reason(world, host_client):
    owner = world.users["owner"]
    plan = stored_plan(world.acme)
    execution = actions.do_apply(plan, owner)  # queued; no worker ever reports back
    long_ago = timezone.now() - timedelta(minutes=10)
    Run.objects.filter(pk=execution.run_id).update(
        state=Run.State.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    PlanExecution.objects.filter(pk=execution.pk).update(outcome=PlanExecution.Outcome.RUNNING)

    response = host_client(world.users["viewer"], "acme.localhost").get(f"/plans/{plan.pk}/")
    assert response.status_code == 200

    plan.refresh_from_db()
    execution.refresh_from_db()
    run = execution.run
    run.refresh_from_db()
    assert run.state == Run.State.FAILED and run.error
    assert plan.state == Plan.State.FAILED and plan.error == run.error
    assert execution.outcome == PlanExecution.Outcome.FAILED and execution.message == run.error
    assert AuditEvent.objects.filter(action="plan.reconcile", target_id=str(plan.pk)).exists()
    # and it can be applied again (the engine's journal resumes) or rolled back
    assert plan.state in actions.STARTABLE["apply"] and plan.state in actions.STARTABLE["rollback"]


def test_a_busy_plan_with_a_live_run_is_left_alone(world):
    plan = stored_plan(world.acme)
    execution = actions.do_apply(plan, world.users["owner"])
    plan.refresh_from_db()
    assert actions.do_reconcile(plan).state == Plan.State.APPLYING
    execution.refresh_from_db()
    assert execution.outcome == PlanExecution.Outcome.PENDING

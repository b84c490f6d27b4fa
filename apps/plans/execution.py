"""Run one apply or rollback of a stored plan inside a job, through a policy session.

The engine does the work and keeps its own journal in the target (what ran, where it
stopped); this module feeds it the stored plan and the member's accepted hazards, turns
its per-step progress callback into run steps, and hands the report (or the refusal, e.g.
drift) to `do_finish_execution`. A refusal or a failed report is re-raised as the run's
error, so the jobs page shows the engine's message.
"""

from __future__ import annotations

from apps.connections.policy import open_session
from apps.jobs.progress import RunAlreadyFinished, user_message
from apps.plans.actions import do_finish_execution, do_mark_running
from apps.plans.models import PlanExecution
from apps.secrets.errors import SecretUnavailable
from apps.workspaces.actions import ActionRefused
from engine import errors
from engine.planner.apply import apply_plan, rollback_plan

CANCELLED = (
    "stopped on request after the step that was running; the journal in the target records "
    "what ran: apply again to resume, or roll back"
)


def mark_key(op_id: str) -> str:
    """The run mark of one operation (the plan page shows it next to the operation)."""
    return f"op:{op_id}"


def _progress(rep, finished: str):
    """The engine calls this after each step: the run's bar and step, and the operation's
    mark, `running` until its last step ran, then `finished`."""

    def report(op, step, done: int, total: int) -> None:
        percent = int(done * 100 / total) if total else 100
        rep.step(f"{op.id} {op.kind} on {op.target} ({done}/{total} steps)", percent=percent)
        steps = op.steps if any(s is step for s in op.steps) else (op.rollback or ())
        last = bool(steps) and steps[-1] is step
        rep.mark(mark_key(op.id), finished if last else "running")

    return report


def _engine_call(execution: PlanExecution, session, rep):
    plan = execution.plan
    common = {
        "database": plan.database,
        "allow_destructive": execution.allow_destructive,
        "progress": _progress(
            rep, "done" if execution.kind == PlanExecution.Kind.APPLY else "undone"
        ),
        "paused": rep.stop_if_closed,  # a cancel stops before the next step group
    }
    if execution.kind == PlanExecution.Kind.APPLY:
        before = plan.before.ir() if plan.before_id else None
        return apply_plan(
            session,
            plan.engine_plan(),
            accept_hazards=execution.accepted_hazards,
            source_snapshot=before,
            **common,
        )
    return rollback_plan(session, plan.engine_plan(), **common)


def run_execution(execution_id: int, rep) -> None:
    execution = PlanExecution.objects.select_related(
        "plan__workspace", "plan__connection", "requested_by"
    ).get(pk=execution_id)
    if not do_mark_running(execution):
        rep.log("this execution already finished; nothing to do")
        return
    plan = execution.plan
    why = f"{execution.kind} plan #{plan.pk}"
    rep.step(f"Connecting to {plan.connection.name}/{plan.database}", percent=0)
    try:
        with open_session(plan.connection, execution.requested_by, why=why) as session:
            report = _engine_call(execution, session, rep)
    except errors.PlanRefused as exc:
        do_finish_execution(execution, refused=user_message(exc))
        raise
    except (ActionRefused, SecretUnavailable, errors.EngineError) as exc:
        do_finish_execution(execution, error=user_message(exc))
        raise
    except RunAlreadyFinished:
        do_finish_execution(execution, error=CANCELLED)
        raise
    except Exception:
        do_finish_execution(execution, error="internal error, see the worker log")
        raise
    do_finish_execution(execution, report=report)
    for op in report.operations:
        rep.mark(mark_key(op.op_id), op.status)
        rep.log(
            f"{op.op_id} {op.kind} {op.target}: {op.status}"
            + (f" ({op.error})" if op.error else "")
        )
    if report.status == "failed":
        raise ActionRefused(report.message)
    _relearn(plan, execution.requested_by, rep)
    rep.result(report.to_json())


def _relearn(plan, user, rep) -> None:
    """The stored schema follows the change: the explorer and the next plan read it. The
    engine has already verified the result against the plan; a failed re-learn is logged
    and leaves the apply standing (Learn now repairs it)."""
    from apps.connections.learning import learn_connection

    rep.step(f"Learning {plan.database} again", percent=99)
    result = learn_connection(plan.connection, user=user, databases=[plan.database])
    if not result.ok:
        rep.log(f"re-learning {plan.database} failed: {result.message}")


def drift_message(plan, user) -> str:
    """'' when the target still hashes to the plan's source (or already to its target: the
    apply will say there is nothing to do); else the engine's own words for what drifted.
    Connects through the policy. The API asks this before queueing an apply, to answer 409
    at once; the job's engine checks again, so a change in between is still refused."""
    from engine.planner.apply_checks import drift_refusal, learn_live, only_column_order

    engine_plan = plan.engine_plan()
    with open_session(plan.connection, user, why=f"drift check plan #{plan.pk}") as session:
        live = learn_live(session, plan.database)
    if live.hash == engine_plan.source_hash:
        return ""
    if live.hash_unordered == engine_plan.target_hash_unordered:
        return ""
    if only_column_order(engine_plan, live):  # the apply accepts it, with a note
        return ""
    expected = plan.before.ir() if plan.before_id else None
    return drift_refusal(engine_plan, live, expected, "apply refused, the database drifted").message

"""Celery tasks of plans: compute (nublox.jobs.plan), apply and roll back.

Each takes the run id alone (apps.jobs.actions.do_start_run) and reads what to do from the
run's params (plan and execution ids, never a secret). `reporting` owns the run's state;
these tasks own the plan's. A task delivered again after its run finished returns quietly;
an apply delivered again mid-run calls the engine again, whose journal resumes after the
last checkpoint instead of applying an operation twice.
"""

from __future__ import annotations

from apps.jobs.models import Run
from apps.jobs.progress import RunAlreadyFinished, reporting, user_message
from apps.plans import execution, planning
from apps.plans.actions import do_finish_planning
from apps.plans.models import Plan
from nublox.celery import app


def _run(run_id: int) -> Run:
    return Run.objects.select_related("created_by").get(pk=run_id)


@app.task(name="nublox.jobs.plan")
def plan_task(run_id: int) -> None:
    run = _run(run_id)
    try:
        with reporting(run_id) as rep:
            plans = Plan.objects.select_related("workspace", "connection")
            plan = plans.get(pk=run.params["plan_id"])
            rep.step(f"Learning {plan.connection.name}/{plan.database}", percent=10)
            try:
                computed = planning.compute(plan, run.created_by)
            except Exception as exc:
                do_finish_planning(plan, run.created_by, error=user_message(exc))
                raise
            plan = do_finish_planning(plan, run.created_by, computed)
            rep.log(
                f"{len(plan.operations)} operations, hazards: {', '.join(plan.hazards) or 'none'}"
            )
            rep.result({"plan_id": plan.pk, "operations": len(plan.operations)})
    except RunAlreadyFinished:
        return


@app.task(name="nublox.jobs.apply")
def apply_task(run_id: int) -> None:
    _execute(run_id)


@app.task(name="nublox.jobs.rollback")
def rollback_task(run_id: int) -> None:
    _execute(run_id)


def _execute(run_id: int) -> None:
    run = _run(run_id)
    try:
        with reporting(run_id) as rep:
            execution.run_execution(run.params["execution_id"], rep)
    except RunAlreadyFinished:
        return

"""Every write that starts or closes a run from outside its task.

`do_start_run` stores the run and sends its task once the transaction commits (a worker
must never pick up a run id that is not visible yet). `reap_stale_runs` closes runs whose
worker stopped: their heartbeat is older than STALE_AFTER.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.audit.log import record
from apps.jobs.models import Run
from apps.jobs.progress import finish
from apps.jobs.signals import run_reaped
from nublox.celery import app

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(seconds=60)
#: Parameter names that look like credentials: params sit in the broker in plain text.
SECRET_NAME = re.compile(r"pass|secret|token|credential|private|api_?key", re.IGNORECASE)
NOT_QUEUED = "The job could not be queued: the task broker did not answer. Try again."


def _secret_names(value, path: str = "") -> list[str]:
    if isinstance(value, dict):
        found = [f"{path}{k}" for k in value if SECRET_NAME.search(str(k))]
        for key, item in value.items():
            found += _secret_names(item, f"{path}{key}.")
        return found
    if isinstance(value, list):
        return [name for item in value for name in _secret_names(item, path)]
    return []


def do_start_run(
    workspace, user, kind: str, *, target=None, params: dict | None = None, task: str
) -> Run:
    """Create a queued run and send Celery task `task` (a name) with the run id on commit."""
    params = dict(params or {})
    if suspicious := _secret_names(params):
        raise ValueError(f"run params must not carry secrets: {', '.join(suspicious)}")
    _task(task)
    task_id = str(uuid.uuid4())
    target_fields = {}
    if target is not None:
        target_fields = {
            "target_type": target._meta.label,
            "target_id": str(target.pk),
            "target_label": str(target)[:300],
        }
    with transaction.atomic():
        run = Run.objects.create(
            workspace=workspace,
            kind=kind,
            params=params,
            created_by=user,
            task_id=task_id,
            **target_fields,
        )
        details = {"run": run.pk, "kind": kind, "task": task}
        record(workspace, user, "run.start", target=target or run, details=details)
        transaction.on_commit(partial(_send, run.pk, task, task_id))
    return run


def _task(name: str):
    """The registered task `name`; tasks modules are imported on first need (a web process
    does not import them at start, a worker does)."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    if name not in app.tasks:
        raise ValueError(f"no Celery task named {name!r}")
    return app.tasks[name]


def _send(run_id: int, task: str, task_id: str) -> None:
    try:
        _task(task).apply_async(args=[run_id], task_id=task_id)
    except Exception:
        logger.exception("could not send task %s for run %s", task, run_id)
        run = Run.objects.select_related("workspace").get(pk=run_id)
        if run.state == Run.State.QUEUED:
            finish(run, Run.State.FAILED, error=NOT_QUEUED)


def stale_message(step: str) -> str:
    return f"the worker stopped while running this job (last step: {step or 'none yet'})"


def reap_stale_runs(
    workspace=None, *, now: datetime | None = None, older_than: timedelta = STALE_AFTER
) -> list[int]:
    """Mark running runs without a recent heartbeat failed; returns their ids.

    Cheap when nothing is stale (one indexed query), so pages call it on every view.
    """
    cutoff = (now or timezone.now()) - older_than
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    stale = Run.objects.filter(silent, state=Run.State.RUNNING)
    if workspace is not None:
        stale = stale.filter(workspace=workspace)
    reaped = []
    for run in stale.select_related("workspace"):
        if finish(run, Run.State.FAILED, error=stale_message(run.step), only_if=silent):
            reaped.append(run.pk)
            run_reaped.send(sender=Run, run=run)
    return reaped


CANCELLED_BY = "Cancelled by {who}: the job stops after the step it is running."


def do_cancel_run(run: Run, user, role: str | None) -> Run:
    """Close an open run as cancelled. A queued run never starts; a running one stops at
    its next step boundary (its task sees the run closed). Apply and rollback keep the
    engine's journal in the target, so what ran is on record and can be resumed or undone."""
    from apps.jobs.access import may_cancel
    from apps.workspaces.actions import ActionRefused

    run = Run.objects.select_related("workspace").get(pk=run.pk)
    if not run.is_open:
        raise ActionRefused("This job has already finished.")
    if not may_cancel(run, user, role):
        raise ActionRefused("Your role cannot cancel this job.")
    who = getattr(user, "email", "") or "a member"
    if not finish(run, Run.State.CANCELLED, error=CANCELLED_BY.format(who=who), actor=user):
        raise ActionRefused("This job finished meanwhile.")
    return run

"""`reporting(run_id)`: the one way a task changes its run, as a context manager.

Entering claims the run with a conditional UPDATE (healthchecks' sendalerts pattern): only
a queued or running run can be entered, so a task delivered twice after its run finished
returns quietly (`RunAlreadyFinished`), and a redelivered running run resumes — what is
already applied is decided by the engine's journal, not here. Every step and log line is
stored first, then published to the run's group (apps.jobs.messages). A timer thread keeps
`heartbeat_at` fresh while the task works between steps, so `reap_stale_runs` can tell a
slow job from a dead worker.

Leaving normally marks the run succeeded at 100 %; an exception marks it failed with a
message a person can act on. Only ActionRefused, engine and secret-store errors carry their
own text; anything else says "internal error, see the worker log" and the traceback goes to
the log alone (exception text may hold what must not reach a page).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from celery.exceptions import Retry
from django.db import DatabaseError, connections, transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.audit.log import record
from apps.jobs import messages
from apps.jobs.models import Run, RunLog
from apps.secrets.errors import SecretUnavailable
from apps.workspaces.actions import ActionRefused
from engine.errors import EngineError

logger = logging.getLogger(__name__)

#: Seconds between heartbeats while a task is between steps (reap_stale_runs allows 60).
HEARTBEAT_EVERY = 10.0
#: Exceptions whose text is written for people; everything else is an internal error.
USER_FACING: tuple[type[BaseException], ...] = (ActionRefused, EngineError, SecretUnavailable)
INTERNAL_ERROR = "internal error, see the worker log"
MAX_LINE = 4000
MAX_STEP = 300


class RunAlreadyFinished(Exception):
    """The run is no longer queued or running: this delivery of its task has nothing to do."""


def user_message(exc: BaseException) -> str:
    if isinstance(exc, USER_FACING):
        return " ".join(str(exc).split()) or type(exc).__name__
    return INTERNAL_ERROR


class Reporter:
    """Handed to the task body: steps, log lines and the result of one run."""

    def __init__(self, run: Run):
        self.run = run
        self._seq = run.logs.aggregate(last=Max("seq"))["last"] or 0
        self._result = None

    def step(self, text: str, percent: int | None = None) -> None:
        """Say what is being done now. Raises RunAlreadyFinished if the run was closed from
        outside (the reaper, a cancel), so the task stops before its next piece of work."""
        run = self.run
        run.step = text[:MAX_STEP]
        if percent is not None:
            run.percent = max(0, min(100, int(percent)))
        run.heartbeat_at = timezone.now()
        still_running = Run.objects.filter(pk=run.pk, state=Run.State.RUNNING).update(
            step=run.step, percent=run.percent, heartbeat_at=run.heartbeat_at
        )
        if not still_running:  # reaped or cancelled meanwhile: stop at this step boundary
            raise RunAlreadyFinished(f"run {run.pk} was closed while its task ran")
        messages.publish(messages.progress(run))

    def stop_if_closed(self) -> bool:
        """Raise RunAlreadyFinished if the run was closed from outside (a cancel, the
        reaper); else False. Handed to the engine as its `paused` hook, which it asks
        before each step group and between copy chunks: a cancel takes effect before the
        next piece of work starts, not after it."""
        if not Run.objects.filter(pk=self.run.pk, state=Run.State.RUNNING).exists():
            raise RunAlreadyFinished(f"run {self.run.pk} was closed while its task ran")
        return False

    def log(self, line: str) -> None:
        """Append a line. Never pass a secret: log lines are shown to every member."""
        self._seq += 1
        now = timezone.now()
        entry = RunLog.objects.create(run=self.run, seq=self._seq, at=now, line=line[:MAX_LINE])
        Run.objects.filter(pk=self.run.pk).update(heartbeat_at=now)
        messages.publish(messages.log_line(entry))

    def mark(self, key: str, status: str) -> None:
        """Record the status of one part of the work (kept on the run, so a page opened
        later shows it too). Calls that change nothing publish nothing."""
        if self.run.marks.get(key) == status:
            return
        self.run.marks[key] = status
        Run.objects.filter(pk=self.run.pk).update(marks=self.run.marks)
        messages.publish(messages.mark(self.run, key, status))

    def result(self, data: dict | list) -> None:
        """JSON stored on the run when the block is left (a failed run keeps it too)."""
        self._result = data


class _Heartbeat(threading.Thread):
    def __init__(self, run_id: int, every: float):
        super().__init__(name=f"run-{run_id}-heartbeat", daemon=True)
        self.run_id, self.every, self.stopping = run_id, every, threading.Event()

    def run(self) -> None:
        """One missed beat (a locked table, a dropped connection) is not a dead worker:
        it is logged and the next beat tries again; the reaper waits several beats."""
        try:
            while not self.stopping.wait(self.every):
                try:
                    Run.objects.filter(pk=self.run_id, state=Run.State.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:
                    logger.warning("heartbeat of run %s missed: %s", self.run_id, exc)
                    connections.close_all()  # the next beat opens a fresh connection
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


def _claim(run_id: int, worker: str) -> Run:
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, state__in=Run.OPEN).update(
        state=Run.State.RUNNING, heartbeat_at=now, worker=worker[:200]
    )
    if not claimed:
        raise RunAlreadyFinished(f"run {run_id} is not queued or running")
    Run.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=now)
    return Run.objects.select_related("workspace", "created_by").get(pk=run_id)


def finish(
    run: Run, state: str, *, error: str = "", result=None, actor=None, only_if: Q | None = None
) -> bool:
    """Close an open run (the task's end, or the reaper's verdict); False if it was not open.

    Conditional on the state the caller saw, so the task and the reaper cannot both win.
    """
    now = timezone.now()
    values = {"state": state, "finished_at": now, "error": error, "result": result}
    if state == Run.State.SUCCEEDED:
        values["percent"] = 100
    with transaction.atomic():
        claim = Run.objects.filter(pk=run.pk, state=run.state)
        changed = (claim.filter(only_if) if only_if else claim).update(**values)
        if changed:
            details = {"run": run.pk, "kind": run.kind, "state": state}
            if error:
                details["error"] = error
            outcome = "ok" if state == Run.State.SUCCEEDED else "failed"
            record(run.workspace, actor, "run.finish", target=run, outcome=outcome, details=details)
    if changed:
        for key, value in values.items():
            setattr(run, key, value)
        messages.publish(messages.finished(run))
    return bool(changed)


@contextmanager
def reporting(run_id: int, *, worker: str = "") -> Iterator[Reporter]:
    run = _claim(run_id, worker)
    reporter = Reporter(run)
    messages.publish(messages.progress(run))
    beat = _Heartbeat(run_id, HEARTBEAT_EVERY)
    beat.start()
    try:
        yield reporter
    except Retry:
        raise  # Celery delivers the task again; the run stays open and is resumed
    except RunAlreadyFinished:
        logger.info("run %s was closed from outside; its task stopped", run_id)
    except Exception as exc:
        if not isinstance(exc, USER_FACING):
            logger.exception("run %s (%s) failed", run_id, run.kind)
        error = user_message(exc)
        finish(run, Run.State.FAILED, error=error, result=reporter._result, actor=run.created_by)
    else:
        finish(run, Run.State.SUCCEEDED, result=reporter._result, actor=run.created_by)
    finally:
        beat.stop()

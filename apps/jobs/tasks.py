"""Celery tasks: long work the web layer hands off. Arguments are ids, never objects or
secrets (task arguments sit in the broker and in result backends in plain text).

Run-backed tasks take one argument, the run id, and are written with `run_task`: the body
gets the run and its reporter (apps.jobs.progress) and what it reads from the run's params.
"""

from __future__ import annotations

import logging
import time

from celery.signals import worker_ready
from django.contrib.auth import get_user_model

from apps.connections import snapshots
from apps.connections.diagnose import test_connection
from apps.connections.learning import learn_connection
from apps.connections.models import Connection, Snapshot
from apps.jobs.models import Run
from apps.jobs.progress import Reporter, RunAlreadyFinished, reporting
from apps.workspaces.actions import ActionRefused
from nublox.celery import app

logger = logging.getLogger(__name__)


def run_task(name: str, **options):
    """Register `body(run, reporter)` as Celery task `name(run_id)`.

    A delivery for a run that already finished returns quietly (a duplicate or a late
    retry); everything else about the run's state is `reporting`'s business.
    """

    def decorate(body):
        @app.task(name=name, bind=True, **options)
        def task(self, run_id: int) -> str:
            try:
                with reporting(run_id, worker=self.request.hostname or "") as reporter:
                    body(reporter.run, reporter)
            except RunAlreadyFinished:
                logger.info("run %s already finished; %s delivery ignored", run_id, name)
                return "already finished"
            return "done"

        task.body = body
        return task

    return decorate


def run_connection(run: Run) -> Connection:
    """The connection a run targets, in the run's own workspace only."""
    found = Connection.objects.select_related("workspace", "policy", "secret").filter(
        pk=run.target_id or None, workspace=run.workspace
    )
    connection = found.first()
    if connection is None:
        raise ActionRefused("The connection of this job no longer exists.")
    return connection


@run_task("nublox.jobs.learn")
def learn(run: Run, reporter: Reporter) -> None:
    """params: {"databases": [names]} (optional; default every user database)."""
    connection = run_connection(run)
    databases = run.params.get("databases") or None
    which = ", ".join(databases) if databases else "all databases"
    reporter.step(f"Learning {connection.name} ({which})", percent=5)

    def progress(done: int, total: int, name: str) -> None:
        reporter.step(f"Learning {name} ({done + 1} of {total})", percent=10 + 85 * done // total)

    outcome = learn_connection(
        connection, user=run.created_by, databases=databases, progress=progress
    )
    for name, profile_hash in outcome.learned.items():
        reporter.log(f"learned {name} (profile {profile_hash[:12]})")
    for name, why in outcome.failed.items():
        reporter.log(f"could not learn {name}: {why}")
    reporter.result(
        {
            "ok": outcome.ok,
            "message": outcome.message,
            "learned": outcome.learned,
            "failed": outcome.failed,
        }
    )
    if not outcome.ok or outcome.failed or outcome.message:
        # what could be learned is stored; the run still says what was not
        raise ActionRefused(outcome.message or connection.last_error or "Learning failed.")


@run_task("nublox.jobs.snapshot")
def snapshot(run: Run, reporter: Reporter) -> None:
    """params: {"database": name, "label": text}. Learns that one database now and keeps
    the schema as a labelled snapshot of its own (the database's history)."""
    connection = run_connection(run)
    database, label = run.params["database"], run.params.get("label", "")
    reporter.step(f"Learning {connection.name}/{database}", percent=10)
    outcome = learn_connection(connection, user=run.created_by, databases=[database])
    if database not in outcome.learned:
        raise ActionRefused(outcome.failed.get(database) or outcome.message or "Learning failed.")
    schema = connection.databases.get(name=database)
    kept = snapshots.store(
        connection.workspace,
        schema.latest.profile_json,
        schema.profile_hash,
        origin=Snapshot.Origin.MANUAL,
        database=schema,
        label=label,
        user=run.created_by,
        reuse=False,
    )
    reporter.log(f"kept snapshot #{kept.pk} of {database} (profile {kept.profile_hash[:12]})")
    reporter.result({"snapshot": kept.pk, "database": database, "profile_hash": kept.profile_hash})


@run_task("nublox.jobs.test_connection")
def test_connection_job(run: Run, reporter: Reporter) -> None:
    connection = run_connection(run)
    reporter.step(f"Connecting to {connection.name}", percent=10)
    outcome = test_connection(connection, run.created_by)
    reporter.log(outcome.headline)
    reporter.result({"ok": outcome.ok, "headline": outcome.headline, "detail": outcome.detail})
    if not outcome.ok:
        raise ActionRefused(f"{outcome.headline}. {outcome.detail}".strip())


test_connection_job.__test__ = False


@run_task("nublox.jobs.sleep")
def sleep(run: Run, reporter: Reporter) -> None:
    """Diagnostic: sleeps in steps (params: {"steps": n, "seconds": s}) so progress, the
    websocket stream and worker-death handling can be watched without touching a database."""
    steps = max(1, int(run.params.get("steps", 5)))
    seconds = float(run.params.get("seconds", 1))
    for n in range(1, steps + 1):
        reporter.step(f"Sleeping {n}/{steps}", percent=100 * (n - 1) // steps)
        reporter.log(f"step {n} of {steps}")
        time.sleep(seconds)
    if run.params.get("fail"):
        raise ActionRefused(str(run.params["fail"]))
    reporter.result({"slept": steps * seconds})


@worker_ready.connect
def _reap_on_start(**_kwargs) -> None:
    """A worker that starts may be replacing one that died: close what that one left."""
    from apps.jobs.actions import reap_stale_runs

    try:
        reap_stale_runs()
    except Exception as exc:  # e.g. a database not migrated yet: the worker still starts
        logger.warning("could not reap stale runs at worker start: %s", type(exc).__name__)


@app.task(name="nublox.jobs.learn_connection")
def learn_connection_task(
    connection_id: int, user_id: int | None = None, databases: list[str] | None = None
) -> dict:
    """Learn a connection's server and databases; returns what a caller may show.
    Kept for callers without a run record; pages start `nublox.jobs.learn` instead."""
    connection = Connection.objects.select_related("workspace", "policy", "secret").get(
        pk=connection_id
    )
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    result = learn_connection(connection, user=user, databases=databases)
    return {
        "ok": result.ok,
        "message": result.message,
        "learned": result.learned,
        "failed": result.failed,
    }

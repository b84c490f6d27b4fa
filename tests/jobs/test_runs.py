"""Run records: starting a run, reporting from a task, finishing, reaping dead workers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.jobs import progress
from apps.jobs.actions import do_start_run, reap_stale_runs
from apps.jobs.models import Run
from apps.jobs.progress import RunAlreadyFinished, reporting
from apps.workspaces.actions import ActionRefused


@pytest.fixture
def run(world):
    return do_start_run(
        world.acme, world.users["developer"], "sleep", params={"steps": 2}, task="nublox.jobs.sleep"
    )


def test_start_stores_a_queued_run_and_audits_it(world, run):
    assert run.state == "queued" and run.percent == 0 and run.task_id
    assert run.created_by == world.users["developer"] and run.params == {"steps": 2}
    event = AuditEvent.objects.get(workspace=world.acme, action="run.start")
    assert event.details["run"] == run.pk and event.details["task"] == "nublox.jobs.sleep"


def test_start_records_its_target(world):
    connection = world.acme.connections.get()
    run = do_start_run(
        world.acme, world.users["owner"], "learn", target=connection, task="nublox.jobs.learn"
    )
    assert (run.target_type, run.target_id) == ("connections.Connection", str(connection.pk))
    assert run.target_label == str(connection)


def test_the_task_is_sent_only_when_the_transaction_commits(
    world, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = do_start_run(
            world.acme, None, "sleep", params={"steps": 1, "seconds": 0}, task="nublox.jobs.sleep"
        )
    assert Run.objects.get(pk=run.pk).state == "queued" and len(callbacks) == 1
    callbacks[0]()
    run.refresh_from_db()
    assert run.state == "succeeded" and run.percent == 100 and run.result == {"slept": 0.0}
    assert [line.line for line in run.logs.all()] == ["step 1 of 1"]


@pytest.mark.parametrize("params", [{"password": "x"}, {"conn": {"api_key": "x"}}])
def test_params_that_look_like_secrets_are_refused(world, params):
    before = Run.objects.count()
    with pytest.raises(ValueError, match="must not carry secrets"):
        do_start_run(world.acme, None, "sleep", params=params, task="nublox.jobs.sleep")
    assert Run.objects.count() == before


def test_an_unknown_task_is_refused(world):
    with pytest.raises(ValueError, match="no Celery task"):
        do_start_run(world.acme, None, "x", task="nublox.jobs.no_such_task")


def test_a_broker_that_does_not_answer_fails_the_run(world, monkeypatch):
    from apps.jobs.actions import _send, _task

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(_task("nublox.jobs.sleep"), "apply_async", refuse)

    run = do_start_run(world.acme, None, "sleep", task="nublox.jobs.sleep")
    _send(run.pk, "nublox.jobs.sleep", run.task_id)
    run.refresh_from_db()
    assert run.state == "failed" and "broker did not answer" in run.error


def test_reporting_stores_steps_logs_and_result(run):
    with reporting(run.pk, worker="w1") as rep:
        assert Run.objects.get(pk=run.pk).state == "running"
        rep.step("Reading catalog", percent=40)
        rep.log("first")
        rep.log("second")
        rep.result({"tables": 3})
        stored = Run.objects.get(pk=run.pk)
        assert (stored.step, stored.percent, stored.worker) == ("Reading catalog", 40, "w1")
    run.refresh_from_db()
    assert run.state == "succeeded" and run.percent == 100 and run.result == {"tables": 3}
    assert run.started_at and run.finished_at and run.heartbeat_at
    assert [(e.seq, e.line) for e in run.logs.all()] == [(1, "first"), (2, "second")]
    finish = AuditEvent.objects.get(action="run.finish")
    assert finish.outcome == "ok" and finish.details["state"] == "succeeded"


def test_a_refusal_fails_the_run_with_its_message(run):
    with reporting(run.pk) as rep:
        rep.step("Checking policy", percent=10)
        raise ActionRefused("The policy requires TLS for remote servers.")
    run.refresh_from_db()
    assert run.state == "failed" and run.percent == 10
    assert run.error == "The policy requires TLS for remote servers."
    assert AuditEvent.objects.get(action="run.finish").outcome == "failed"


def test_an_unexpected_error_shows_no_internals(run, caplog):
    with reporting(run.pk):
        raise KeyError("postgresql://app:hunter2@db/x")
    run.refresh_from_db()
    assert run.state == "failed" and run.error == "internal error, see the worker log"
    assert "hunter2" not in str(AuditEvent.objects.get(action="run.finish").details)
    assert "hunter2" in caplog.text  # the traceback is in the worker's log only


def test_a_finished_run_cannot_be_entered_again(run):
    with reporting(run.pk):
        pass
    with pytest.raises(RunAlreadyFinished), reporting(run.pk):
        pytest.fail("the body of a finished run ran again")
    assert AuditEvent.objects.filter(action="run.finish").count() == 1


def test_a_redelivered_running_run_resumes_and_keeps_its_log(run):
    Run.objects.filter(pk=run.pk).update(state="running", started_at=timezone.now())
    run.logs.create(seq=1, at=timezone.now(), line="before the retry")
    with reporting(run.pk) as rep:
        rep.log("after the retry")
    assert [e.seq for e in run.logs.all()] == [1, 2]
    assert Run.objects.get(pk=run.pk).state == "succeeded"


def test_the_task_returns_quietly_for_a_finished_run(run, eager_celery):
    from apps.jobs.tasks import sleep

    Run.objects.filter(pk=run.pk).update(state="cancelled")
    assert sleep.apply(args=[run.pk]).get() == "already finished"
    assert not run.logs.exists()


def test_stale_running_runs_are_reaped_with_their_last_step(world, run):
    now = timezone.now()
    Run.objects.filter(pk=run.pk).update(
        state="running", step="Sleeping 1/2", started_at=now, heartbeat_at=now
    )
    fresh = do_start_run(world.acme, None, "sleep", task="nublox.jobs.sleep")
    Run.objects.filter(pk=fresh.pk).update(state="running", heartbeat_at=now + timedelta(50))
    assert reap_stale_runs(now=now + timedelta(seconds=59)) == []
    assert reap_stale_runs(now=now + timedelta(seconds=61)) == [run.pk]
    run.refresh_from_db()
    assert run.state == "failed"
    assert run.error == "the worker stopped while running this job (last step: Sleeping 1/2)"
    assert Run.objects.get(pk=fresh.pk).state == "running"
    assert reap_stale_runs(now=now + timedelta(seconds=120)) == []  # once only


def test_reaping_one_workspace_leaves_the_others(world, run):
    old = timezone.now() - timedelta(minutes=5)
    Run.objects.filter(pk=run.pk).update(state="running", heartbeat_at=old)
    assert reap_stale_runs(world.globex) == []
    assert reap_stale_runs(world.acme) == [run.pk]


def test_a_task_that_finishes_after_being_reaped_does_not_overwrite_the_verdict(run):
    with reporting(run.pk) as rep:
        rep.step("long step")
        Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
        assert reap_stale_runs() == [run.pk]
    run.refresh_from_db()
    assert run.state == "failed" and "long step" in run.error


def test_a_run_closed_from_outside_stops_its_task_at_the_next_step(run):
    done = []
    with reporting(run.pk) as rep:
        rep.step("first")
        Run.objects.filter(pk=run.pk).update(state="cancelled")
        rep.step("second")
        done.append("second step's work")
    run.refresh_from_db()
    assert done == [] and run.state == "cancelled" and run.step == "first"
    assert not AuditEvent.objects.filter(action="run.finish").exists()


def test_the_heartbeat_thread_keeps_a_quiet_run_alive(transactional_db, world, monkeypatch):
    import threading

    monkeypatch.setattr(progress, "HEARTBEAT_EVERY", 0.05)
    run = do_start_run(world.acme, None, "sleep", task="nublox.jobs.sleep")
    beats = threading.Event()
    with reporting(run.pk):
        first = Run.objects.get(pk=run.pk).heartbeat_at
        for _ in range(200):  # wait for a beat; no step or log in between
            if Run.objects.get(pk=run.pk).heartbeat_at > first:
                beats.set()
                break
            threading.Event().wait(0.05)
    assert beats.is_set()


def test_a_reaped_learn_does_not_leave_its_connection_learning(world):
    """The reaper tells the target's app (apps.jobs.signals.run_reaped): a connection whose
    learn died goes from "learning" to failing, with the reason."""
    from apps.connections.models import Connection

    connection = world.acme.connections.get()
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.LEARNING)
    learn = do_start_run(world.acme, None, "learn", target=connection, task="nublox.jobs.learn")
    old = timezone.now() - timedelta(minutes=5)
    Run.objects.filter(pk=learn.pk).update(state="running", step="Learning main", heartbeat_at=old)
    untouched = Connection.objects.create(
        workspace=world.acme, name="other", url="sqlite:///other.db", status="learning"
    )
    assert reap_stale_runs() == [learn.pk]
    connection.refresh_from_db()
    assert connection.status == Connection.Status.FAILING
    assert connection.last_error.startswith("The last learn did not finish: the worker stopped")
    assert Connection.objects.get(pk=untouched.pk).status == Connection.Status.LEARNING

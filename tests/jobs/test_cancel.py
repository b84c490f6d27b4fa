"""Cancelling a run: who may, what a queued or running run does then, the page's button."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.jobs.actions import do_cancel_run, do_start_run
from apps.jobs.models import Run
from apps.jobs.progress import reporting
from apps.workspaces.actions import ActionRefused


def start(world, who: str = "developer", kind: str = "sleep") -> Run:
    return do_start_run(
        world.acme, world.users[who], kind, params={"steps": 3, "seconds": 0},
        task="nublox.jobs.sleep",
    )  # fmt: skip


def test_a_queued_run_cancelled_never_starts(world, eager_celery):
    from apps.jobs.tasks import sleep

    run = start(world)
    do_cancel_run(run, world.users["developer"], "developer")
    run.refresh_from_db()
    assert run.state == Run.State.CANCELLED and run.finished_at is not None
    assert "Cancelled by developer@acme.test" in run.error
    event = AuditEvent.objects.filter(action="run.finish").latest("pk")
    assert event.details["state"] == "cancelled" and event.actor_id == world.users["developer"].pk
    assert sleep.delay(run.pk).get() == "already finished"
    run.refresh_from_db()
    assert run.started_at is None and not run.logs.exists()


def test_a_running_run_stops_at_its_next_step(world):
    run = start(world)
    steps_done = []
    with reporting(run.pk) as rep:
        rep.step("one", percent=10)
        steps_done.append(1)
        do_cancel_run(run, world.users["owner"], "owner")
        rep.step("two", percent=50)  # raises: the block is left here
        steps_done.append(2)
    run.refresh_from_db()
    assert steps_done == [1]
    assert run.state == Run.State.CANCELLED and run.step == "one" and run.percent == 10


@pytest.mark.parametrize(
    ("kind", "who", "allowed"),
    [
        ("apply", "analyst", False),  # analysts cannot apply, so cannot cancel an apply
        ("apply", "developer", True),
        ("learn", "developer", False),  # learning needs manage-connections
        ("learn", "admin", True),
        ("sleep", "viewer", False),
    ],
)
def test_who_may_cancel_someone_elses_run(world, kind, who, allowed):
    run = start(world, who="owner", kind=kind)
    if allowed:
        do_cancel_run(run, world.users[who], world.members[who].role)
        assert Run.objects.get(pk=run.pk).state == Run.State.CANCELLED
    else:
        with pytest.raises(ActionRefused, match="cannot cancel"):
            do_cancel_run(run, world.users[who], world.members[who].role)
        assert Run.objects.get(pk=run.pk).state == Run.State.QUEUED


def test_the_starter_may_cancel_and_a_finished_run_cannot_be(world):
    run = start(world, who="analyst")
    do_cancel_run(run, world.users["analyst"], "analyst")
    with pytest.raises(ActionRefused, match="already finished"):
        do_cancel_run(run, world.users["owner"], "owner")


def test_the_page_button(world, host_client):
    run = start(world, who="owner")
    viewer = host_client(world.users["viewer"], "acme.localhost")
    assert "Cancel job" not in viewer.get(f"/jobs/{run.pk}/").content.decode()
    response = viewer.post(f"/jobs/{run.pk}/cancel/")
    assert response.status_code == 302
    assert Run.objects.get(pk=run.pk).state == Run.State.QUEUED
    assert "cannot cancel" in viewer.get(f"/jobs/{run.pk}/").content.decode()

    owner = host_client(world.users["owner"], "acme.localhost")
    assert "Cancel job" in owner.get(f"/jobs/{run.pk}/").content.decode()
    response = owner.post(f"/jobs/{run.pk}/cancel/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/jobs/{run.pk}/"  # no open redirect
    assert Run.objects.get(pk=run.pk).state == Run.State.CANCELLED
    page = owner.get(f"/jobs/{run.pk}/").content.decode()
    assert "Cancel job" not in page and "Cancelled by owner@acme.test" in page


def test_another_workspaces_run_cannot_be_cancelled(world, host_client):
    globex_run = Run.objects.get(pk=world.objects["run_id"]["globex"])
    owner = host_client(world.users["owner"], "acme.localhost")
    assert owner.post(f"/jobs/{globex_run.pk}/cancel/").status_code == 404
    assert Run.objects.get(pk=globex_run.pk).state == Run.State.QUEUED

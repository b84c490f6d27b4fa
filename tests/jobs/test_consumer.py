"""The run stream `ws/runs/<id>/` through the real ASGI app (session cookie, Host header),
in process: who may open it, what it sends first, and live events after."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from apps.jobs.actions import do_start_run
from apps.jobs.models import Run
from apps.jobs.progress import reporting
from nublox.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 20  # seconds before a missing message fails the test (the layer polls)


@pytest.fixture
def run(world):
    run = do_start_run(world.acme, world.users["owner"], "sleep", task="nublox.jobs.sleep")
    Run.objects.filter(pk=run.pk).update(state="running", step="Reading", percent=30)
    run.logs.create(seq=1, at=timezone.now(), line="so far")
    return run


def communicator(headers: list, run_id: int) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/runs/{run_id}/", headers=headers)


def headers_for(user, host: str) -> list:
    """Host, Origin and (for a user) the session cookie a signed-in browser sends."""
    headers = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return headers


def opened(user, host: str, run_id: int) -> tuple[dict, dict]:
    """Connect and return (first output, what followed or a close)."""

    headers = headers_for(user, host)

    async def scenario():
        comm = communicator(headers, run_id)
        connected, _ = await comm.connect(timeout=WAIT)
        assert connected
        first = await comm.receive_output(timeout=WAIT)
        await comm.disconnect()
        return first

    return async_to_sync(scenario)()


def test_a_member_gets_the_stored_progress_and_log_first(world, run):
    first = opened(world.users["viewer"], "acme.localhost", run.pk)
    assert first["type"] == "websocket.send"
    import json

    snapshot = json.loads(first["text"])
    assert snapshot["type"] == "run.snapshot" and snapshot["run_id"] == run.pk
    assert (snapshot["state"], snapshot["percent"], snapshot["step"]) == ("running", 30, "Reading")
    assert [entry["line"] for entry in snapshot["logs"]] == ["so far"]


@pytest.mark.parametrize(
    ("who", "host"),
    [
        ("outsider", "acme.localhost"),  # not a member of acme
        ("outsider", "globex.localhost"),  # a member of globex, asking for acme's run
        ("owner", "globex.localhost"),  # acme's owner is no member of globex
        (None, "acme.localhost"),  # not signed in
        ("owner", "localhost"),  # the apex is no workspace
        ("owner", "x.acme.localhost"),
    ],
)
def test_anyone_else_is_closed_with_4403_and_learns_nothing(world, run, who, host):
    user = world.users[who] if who else None
    first = opened(user, host, run.pk)
    assert first == {"type": "websocket.close", "code": 4403}


def test_a_run_of_another_workspace_is_refused_on_the_own_host(world):
    theirs = do_start_run(world.globex, None, "sleep", task="nublox.jobs.sleep")
    first = opened(world.users["owner"], "acme.localhost", theirs.pk)
    assert first == {"type": "websocket.close", "code": 4403}


def test_live_events_follow_the_snapshot(world, run):
    headers = headers_for(world.users["developer"], "acme.localhost")

    async def scenario():
        comm = communicator(headers, run.pk)
        assert (await comm.connect(timeout=WAIT))[0]
        snapshot = await comm.receive_json_from(timeout=WAIT)
        await sync_to_async(_work)(run.pk)
        events = [await comm.receive_json_from(timeout=WAIT) for _ in range(4)]
        await comm.disconnect()
        return snapshot, events

    snapshot, events = async_to_sync(scenario)()
    assert snapshot["type"] == "run.snapshot"
    kinds = [e["type"] for e in events]
    assert kinds == ["run.progress", "run.progress", "run.log", "run.finished"]
    assert events[1]["percent"] == 80 and events[1]["step"] == "Writing"
    assert events[2]["line"] == "done writing" and events[2]["seq"] == 2
    assert events[3]["state"] == "succeeded" and events[3]["result"] == {"rows": 1}


def _work(run_id: int) -> None:
    with reporting(run_id) as rep:
        rep.step("Writing", percent=80)
        rep.log("done writing")
        rep.result({"rows": 1})


def test_a_member_removed_mid_run_stops_receiving(world, run):
    headers = headers_for(world.users["analyst"], "acme.localhost")

    async def scenario():
        comm = communicator(headers, run.pk)
        assert (await comm.connect(timeout=WAIT))[0]
        await comm.receive_json_from(timeout=WAIT)
        await sync_to_async(world.members["analyst"].delete)()
        await sync_to_async(_work)(run.pk)
        closed = await comm.receive_output(timeout=WAIT)
        await comm.disconnect()
        return closed

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4403}


def test_marks_are_in_the_snapshot_and_stream_live(world, run):
    Run.objects.filter(pk=run.pk).update(marks={"op:op_1": "done"})
    headers = headers_for(world.users["viewer"], "acme.localhost")

    async def scenario():
        comm = communicator(headers, run.pk)
        assert (await comm.connect(timeout=WAIT))[0]
        snapshot = await comm.receive_json_from(timeout=WAIT)
        await sync_to_async(_mark)(run.pk)
        event = await comm.receive_json_from(timeout=WAIT)
        await comm.disconnect()
        return snapshot, event

    snapshot, event = async_to_sync(scenario)()
    assert snapshot["marks"] == {"op:op_1": "done"}
    assert event == {"type": "run.mark", "run_id": run.pk, "key": "op:op_2", "status": "running"}
    assert Run.objects.get(pk=run.pk).marks == {"op:op_1": "done", "op:op_2": "running"}


def _mark(run_id: int) -> None:
    from apps.jobs.progress import Reporter

    reporter = Reporter(Run.objects.get(pk=run_id))
    reporter.mark("op:op_2", "running")
    reporter.mark("op:op_2", "running")  # no change: nothing published or written

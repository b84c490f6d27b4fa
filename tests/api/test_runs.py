"""/api/v1/runs: list with filters and cursor, one run, its log after a given line, cancel;
dead workers' runs are closed before a poller sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.jobs.actions import STALE_AFTER
from apps.jobs.models import Run, RunLog

ROLES = ("owner", "admin", "developer", "analyst", "viewer")
BASE = "/api/v1/runs"


@pytest.fixture
def runs(world):
    """Three more acme runs (besides the world's queued "sleep"), and one of globex."""
    acme, owner = world.acme, world.users["owner"]
    made = {
        "learn_ok": Run.objects.create(
            workspace=acme, kind="learn", state="succeeded", created_by=owner, percent=100
        ),
        "learn_failed": Run.objects.create(
            workspace=acme, kind="learn", state="failed", error="Nothing is listening on h:1"
        ),
        "apply": Run.objects.create(workspace=acme, kind="apply", state="running"),
    }
    Run.objects.create(workspace=world.globex, kind="learn", state="succeeded")
    return made


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["items"]]


@pytest.mark.parametrize("role", ROLES)
def test_every_member_lists_the_workspaces_runs_newest_first(world, runs, api_client, role):
    listed = ids(api_client(world.users[role]).get(f"{BASE}"))
    acme_runs = Run.objects.filter(workspace=world.acme).order_by("-id")
    assert listed == [r.pk for r in acme_runs]
    assert len(listed) == 4


def test_runs_filter_by_state_and_kind(world, runs, api_client):
    client = api_client(world.users["viewer"])
    assert ids(client.get(f"{BASE}?kind=learn")) == [
        runs["learn_failed"].pk,
        runs["learn_ok"].pk,
    ]
    assert ids(client.get(f"{BASE}?kind=learn&state=failed")) == [runs["learn_failed"].pk]
    assert ids(client.get(f"{BASE}?state=queued")) == [world.objects["run_id"]["acme"]]
    bad = client.get(f"{BASE}?state=finished")
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "state"


def test_runs_page_with_a_cursor(world, runs, api_client):
    client = api_client(world.users["viewer"])
    first = client.get(f"{BASE}?limit=3").json()
    assert len(first["items"]) == 3 and first["next"]
    second = client.get(f"{BASE}?limit=3&cursor={first['next']}").json()
    assert second["next"] is None
    seen = [r["id"] for r in first["items"] + second["items"]]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 4
    broken = client.get(f"{BASE}?cursor=not-a-cursor")
    assert broken.status_code == 400
    assert broken.json()["error"]["field"] == "cursor"


def test_one_run_in_full(world, runs, api_client):
    run = runs["learn_failed"]
    run.params = {"databases": ["shop"]}
    run.target_type, run.target_id, run.target_label = "connections.Connection", "7", "main"
    run.save()
    body = api_client(world.users["analyst"]).get(f"{BASE}/{run.pk}").json()
    assert body["id"] == run.pk
    assert body["state"] == "failed" and body["error"] == "Nothing is listening on h:1"
    assert body["params"] == {"databases": ["shop"]}
    assert (body["target_type"], body["target_id"], body["target_label"]) == (
        "connections.Connection",
        "7",
        "main",
    )
    assert body["created_by"] is None and body["result"] is None
    mine = api_client(world.users["viewer"]).get(f"{BASE}/{runs['learn_ok'].pk}").json()
    assert mine["created_by"] == "owner@acme.test" and mine["percent"] == 100


def test_a_run_whose_worker_died_is_failed_before_it_is_shown(world, runs, api_client):
    run = runs["apply"]
    quiet_since = timezone.now() - STALE_AFTER - timedelta(seconds=5)
    Run.objects.filter(pk=run.pk).update(heartbeat_at=quiet_since, step="op 2 of 3")
    body = api_client(world.users["viewer"]).get(f"{BASE}/{run.pk}").json()
    assert body["state"] == "failed"
    assert "op 2 of 3" in body["error"]


def test_another_workspaces_run_is_not_found(world, api_client):
    foreign = world.objects["run_id"]["globex"]
    client = api_client(world.users["owner"])
    for path in (f"{BASE}/{foreign}", f"{BASE}/{foreign}/logs"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    cancel = client.post(f"{BASE}/{foreign}/cancel")
    assert cancel.status_code == 404
    assert Run.objects.get(pk=foreign).state == "queued"


def test_logs_in_order_after_a_given_line_and_by_cursor(world, api_client):
    run = Run.objects.get(pk=world.objects["run_id"]["acme"])
    now = timezone.now()
    RunLog.objects.bulk_create(
        RunLog(run=run, seq=seq, at=now, line=f"line {seq}") for seq in (3, 1, 2, 5, 4)
    )
    client = api_client(world.users["viewer"])
    everything = client.get(f"{BASE}/{run.pk}/logs").json()
    assert [line["seq"] for line in everything["items"]] == [1, 2, 3, 4, 5]
    assert everything["items"][0]["line"] == "line 1" and everything["next"] is None
    after = client.get(f"{BASE}/{run.pk}/logs?after=3").json()
    assert [line["line"] for line in after["items"]] == ["line 4", "line 5"]
    first = client.get(f"{BASE}/{run.pk}/logs?limit=2").json()
    rest = client.get(f"{BASE}/{run.pk}/logs?limit=2&cursor={first['next']}").json()
    assert [x["seq"] for x in first["items"] + rest["items"]] == [1, 2, 3, 4]


@pytest.mark.parametrize("role, allowed", [("owner", True), ("developer", True), ("viewer", False)])
def test_cancel_follows_the_pages_rule(world, api_client, role, allowed):
    """An apply run is cancelled by those who may apply (or by its starter)."""
    run = Run.objects.create(workspace=world.acme, kind="apply", state="running")
    response = api_client(world.users[role]).post(f"{BASE}/{run.pk}/cancel")
    run.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.content
        assert response.json()["state"] == "cancelled" == run.state
        assert role in response.json()["error"]
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert run.state == "running"


def test_the_starter_may_cancel_and_a_finished_run_is_a_conflict(world, api_client):
    viewer = world.users["viewer"]
    run = Run.objects.create(workspace=world.acme, kind="apply", created_by=viewer)
    client = api_client(viewer)
    assert client.post(f"{BASE}/{run.pk}/cancel").status_code == 200
    again = client.post(f"{BASE}/{run.pk}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "run_finished"
    run.refresh_from_db()
    assert run.state == "cancelled"

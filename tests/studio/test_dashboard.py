"""The workspace dashboard: connection health, recent plans and jobs, audit events for the
members who may see them, and a query count that does not grow with the workspace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.log import record
from apps.connections.models import Connection, DatabaseSchema
from apps.jobs.models import Run
from apps.studio.dashboard import error_headline
from tests.plans.factories import stored_plan

HOST = "acme.localhost"


def _page(host_client, user) -> str:
    response = host_client(user, HOST).get("/")
    assert response.status_code == 200
    return response.content.decode()


def _grow(world, n: int) -> None:
    """n more connections (each with a learned and a failing database), plans and runs."""
    acme, owner = world.acme, world.users["owner"]
    for i in range(n):
        c = Connection.objects.create(
            workspace=acme, name=f"server-{i:02}", url=f"sqlite:///tmp/s{i}.db"
        )
        DatabaseSchema.objects.create(connection=c, name="main", status="ok")
        DatabaseSchema.objects.create(connection=c, name="old", status="failing")
        stored_plan(acme, created_by=owner, title=f"Plan {i}", connection=c)
        Run.objects.create(
            workspace=acme, kind="learn", created_by=owner, target_label=f"server-{i:02}"
        )
        record(acme, owner, "connection.create", target=c)


def test_connections_show_health_failing_first_with_the_error_headline(world, host_client):
    Connection.objects.filter(workspace=world.acme).update(
        status="ok", last_learned_at=timezone.now()
    )
    broken = Connection.objects.create(
        workspace=world.acme,
        name="zz-broken",
        url="postgresql://app@db.internal:5432/shop",
        status="failing",
        last_error="Cannot reach db.internal:5432. Connection refused (is the server up?)",
    )
    DatabaseSchema.objects.create(connection=broken, name="shop", status="failing")
    text = _page(host_client, world.users["viewer"])
    assert "Cannot reach db.internal:5432" in text
    assert "Connection refused" not in text  # the detail is on the connection page
    assert text.index("zz-broken") < text.index(">main<")  # failing first, despite the name
    assert "(1 failing)" in text and "1 failing</span>" in text


def test_recent_plans_and_jobs_link_to_their_pages(world, host_client):
    plan = stored_plan(world.acme, created_by=world.users["developer"], title="Add email column")
    run = Run.objects.create(
        workspace=world.acme,
        kind="apply",
        state="running",
        percent=40,
        step="Adding email",
        target_label="main / shop",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    stored_plan(world.globex, title="Globex secret plan")
    Run.objects.create(workspace=world.globex, kind="globex-only-kind")
    text = _page(host_client, world.users["viewer"])
    assert f'href="/plans/{plan.pk}/"' in text and "Add email column" in text
    assert "developer@acme.test" in text and "Draft" in text
    assert f'href="/jobs/{run.pk}/"' in text and 'value="40"' in text and "Adding email" in text
    assert "Globex secret plan" not in text and "Globex-only-kind" not in text


def test_a_run_whose_worker_died_is_shown_failed(world, host_client):
    long_ago = timezone.now() - timedelta(hours=2)
    run = Run.objects.create(
        workspace=world.acme, kind="learn", state="running", started_at=long_ago,
        heartbeat_at=long_ago,
    )  # fmt: skip
    _page(host_client, world.users["viewer"])
    run.refresh_from_db()
    assert run.state == "failed" and run.error


@pytest.mark.parametrize(
    ("role", "sees"),
    [("owner", True), ("admin", True), ("developer", False), ("analyst", False), ("viewer", False)],
)
def test_audit_events_only_for_members_who_may_open_the_audit_page(world, host_client, role, sees):
    record(world.acme, world.users["owner"], "plan.approve", target=world.acme)
    record(world.globex, world.users["outsider"], "globex.secret-action")
    text = _page(host_client, world.users[role])
    assert ("Recent audit events" in text) is sees
    assert ("plan.approve" in text) is sees
    assert "globex.secret-action" not in text


def test_counts(world, host_client):
    _grow(world, 3)
    Run.objects.create(workspace=world.acme, kind="learn", state="succeeded")
    text = _page(host_client, world.users["viewer"])
    # world: 1 connection, 1 plan, 1 queued run, 6 members (5 roles + target)
    assert "<b>4</b><span>connections" in text
    assert "<b>4</b><span>plans</span>" in text
    assert "<b>5</b><span>jobs · 4 running or queued" in text
    assert "<b>6</b><span>members" in text


def _queries(host_client, user) -> list[str]:
    client = host_client(user, HOST)
    with CaptureQueriesContext(db) as captured:
        assert client.get("/").status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_number_of_queries_does_not_grow_with_the_workspace(
    world, host_client, django_assert_max_num_queries
):
    owner = world.users["owner"]
    small = len(_queries(host_client, owner))  # world: one connection, plan and run
    assert small <= 16
    _grow(world, 30)
    client = host_client(owner, HOST)  # signing in costs queries of its own
    with django_assert_max_num_queries(small):
        text = client.get("/").content.decode()
    assert "Showing 20 of 31" in text and "Plan 29" in text and "server-29" in text


def test_big_columns_stay_in_the_database(world, host_client):
    _grow(world, 2)
    sql = "\n".join(_queries(host_client, world.users["owner"]))
    for column in (
        '"connections_connection"."capability_json"',
        '"plans_plan"."plan_json"',
        '"connections_snapshot"."profile_json"',
    ):
        assert column not in sql


@pytest.mark.parametrize(
    ("stored", "headline"),
    [
        ("", ""),
        ("Cannot reach 127.0.0.1:1. Connection refused", "Cannot reach 127.0.0.1:1"),
        ("Authentication failed for app\nserver said: no", "Authentication failed for app"),
        ("x" * 400, "x" * 159 + "…"),
    ],
)
def test_error_headline(stored, headline):
    assert error_headline(stored) == headline

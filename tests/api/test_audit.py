"""Audit events (filters, cursor pagination) and chain verification through the API:
admins and owners only, as the audit page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.log import record, record_many
from apps.audit.models import AuditEvent
from apps.workspaces.permissions import Action
from tests.api.conftest import ROLES_AND_OUTSIDER
from tests.api.test_members import expected
from tests.api.test_tokens import assert_error
from tests.audit.helpers import tamper

EVENTS = "/api/v1/audit/events"


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_events_by_role(world, api_client, role):
    response = api_client(world.users[role]).get(EVENTS)
    assert response.status_code == expected(role, Action.MANAGE_MEMBERS, 200)
    if response.status_code == 200:
        items = response.json()["items"]
        seqs = [e["seq"] for e in items]
        assert seqs == sorted(seqs, reverse=True) and seqs[-1] == 1
        assert {e["action"] for e in items} >= {"workspace.create", "member.invite"}
        assert "owner@globex.test" not in response.content.decode()


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_verify_by_role(world, api_client, role):
    response = api_client(world.users[role]).post("/api/v1/audit/verify")
    assert response.status_code == expected(role, Action.MANAGE_MEMBERS, 200)
    if response.status_code == 200:
        body = response.json()
        assert body["ok"] is True and body["broken"] is None
        assert body["count"] == AuditEvent.objects.filter(workspace=world.acme).count()


def test_verify_names_the_tampered_event(world, api_client):
    owner = api_client(world.users["owner"])
    event = AuditEvent.objects.filter(workspace=world.acme).order_by("seq").first()
    tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["forged", event.pk])
    body = owner.post("/api/v1/audit/verify").json()
    assert body["ok"] is False
    assert body["broken"]["seq"] == event.seq and "hash" in body["broken"]["problem"]
    assert "broken" in body["message"]


def test_filters(world, api_client):
    owner = api_client(world.users["owner"])
    admin = world.users["admin"]
    record(world.acme, admin, "plan.create", target=world.acme.projects.get())
    past = timezone.now() - timedelta(days=3)
    record_many(world.acme, [{"action": "learn", "occurred_at": past}])

    def actions(query: str) -> list[str]:
        response = owner.get(f"{EVENTS}?{query}")
        assert response.status_code == 200, response.content
        return [e["action"] for e in response.json()["items"]]

    assert actions("action=plan.create") == ["plan.create"]
    assert actions(f"actor={admin.pk}") == ["plan.create"]
    assert actions("target_type=workspaces.Project") == ["plan.create"]
    until = (past + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert actions(f"until={until}") == ["learn"]
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert "learn" not in actions(f"since={since}")
    assert actions("action=nothing.like.this") == []
    assert_error(owner.get(f"{EVENTS}?since={until}&until={until}"), 400, "invalid", "since")
    assert_error(owner.get(f"{EVENTS}?actor=x"), 400, "invalid", "actor")
    assert_error(owner.get(f"{EVENTS}?since=yesterday"), 400, "invalid", "since")


def test_cursor_pages_are_stable_over_inserts(world, api_client):
    owner = api_client(world.users["owner"])
    for n in range(7):
        record(world.acme, None, "test.event", details={"n": n})
    total = AuditEvent.objects.filter(workspace=world.acme).count()
    first = owner.get(f"{EVENTS}?limit=4").json()
    assert len(first["items"]) == 4 and first["next"]
    record(world.acme, None, "test.late")  # a new event must not shift the next page
    seen = [e["seq"] for e in first["items"]]
    cursor = first["next"]
    while cursor:
        page = owner.get(f"{EVENTS}?limit=4&cursor={cursor}").json()
        seen += [e["seq"] for e in page["items"]]
        cursor = page["next"]
    assert seen == list(range(total, 0, -1))


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",
        "WyJhIl0",
        "WzEsMl0",
        "W3RydWVd",
        "Wzk5OTk5OTk5OTk5OTk5OTk5OTk5OV0",
        "e30",
    ],
)
def test_malformed_cursor_is_400(world, api_client, cursor):
    response = api_client(world.users["owner"]).get(f"{EVENTS}?cursor={cursor}")
    assert_error(response, 400, "invalid", "cursor")


@pytest.mark.parametrize("limit", ["0", "201", "-1", "many"])
def test_bad_limit_is_400(world, api_client, limit):
    response = api_client(world.users["owner"]).get(f"{EVENTS}?limit={limit}")
    assert_error(response, 400, "invalid", "limit")

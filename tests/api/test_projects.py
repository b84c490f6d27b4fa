"""Projects through the API, for every role: read with VIEW, write with MANAGE_CONNECTIONS."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.workspaces.permissions import Action
from tests.api.conftest import ROLES_AND_OUTSIDER
from tests.api.test_members import JSON, expected
from tests.api.test_tokens import assert_error


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_list_and_get(world, api_client, role):
    client = api_client(world.users[role])
    listed = client.get("/api/v1/projects")
    assert listed.status_code == expected(role, Action.VIEW, 200)
    if listed.status_code == 200:
        (default,) = listed.json()["items"]
        assert (default["name"], default["connections"]) == ("Default", 1)
        got = client.get(f"/api/v1/projects/{default['id']}")
        assert got.json() == default


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_create(world, api_client, role):
    response = api_client(world.users[role]).post(
        "/api/v1/projects", {"name": " Billing ", "description": "invoices"}, content_type=JSON
    )
    assert response.status_code == expected(role, Action.MANAGE_CONNECTIONS, 201)
    created = world.acme.projects.filter(name="Billing").first()
    assert (created is not None) is (response.status_code == 201)
    if created:
        assert response.json()["id"] == created.pk and created.description == "invoices"
        event = AuditEvent.objects.get(action="project.save", target_id=str(created.pk))
        assert event.details == {"name": "Billing", "created": True, "via": "api"}


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_update(world, api_client, role):
    project = world.acme.projects.get()
    response = api_client(world.users[role]).patch(
        f"/api/v1/projects/{project.pk}", {"description": "the first"}, content_type=JSON
    )
    assert response.status_code == expected(role, Action.MANAGE_CONNECTIONS, 200)
    project.refresh_from_db()
    assert (project.description == "the first") is (response.status_code == 200)
    assert project.name == "Default"


def test_name_conflicts_and_bad_input(world, api_client):
    owner = api_client(world.users["owner"])
    taken = owner.post("/api/v1/projects", {"name": "Default"}, content_type=JSON)
    assert_error(taken, 409, "name_taken", "name")
    other = owner.post("/api/v1/projects", {"name": "Other"}, content_type=JSON).json()
    renamed = owner.patch(f"/api/v1/projects/{other['id']}", {"name": "Default"}, content_type=JSON)
    assert_error(renamed, 409, "name_taken", "name")
    assert_error(owner.post("/api/v1/projects", {"name": " "}, content_type=JSON), 400, "invalid",
                 "name")  # fmt: skip
    assert_error(owner.post("/api/v1/projects", {"name": "x" * 101}, content_type=JSON), 400,
                 "invalid", "name")  # fmt: skip
    assert_error(owner.post("/api/v1/projects", {"name": "a\x00b"}, content_type=JSON), 400,
                 "invalid", "name")  # fmt: skip
    typo = owner.patch(f"/api/v1/projects/{other['id']}", {"descripton": "x"}, content_type=JSON)
    assert_error(typo, 400, "invalid", "descripton")
    same = owner.patch(f"/api/v1/projects/{other['id']}", {"name": "Other"}, content_type=JSON)
    assert same.status_code == 200


def test_pages_follow_and_stay_stable_over_inserts(world, api_client):
    owner = api_client(world.users["owner"])
    for n in range(5):
        owner.post("/api/v1/projects", {"name": f"P{n}"}, content_type=JSON)
    first = owner.get("/api/v1/projects?limit=3").json()
    assert [p["name"] for p in first["items"]] == ["Default", "P0", "P1"]
    owner.post("/api/v1/projects", {"name": "Late"}, content_type=JSON)
    rest = owner.get(f"/api/v1/projects?limit=3&cursor={first['next']}").json()
    assert [p["name"] for p in rest["items"]] == ["P2", "P3", "P4"]
    last = owner.get(f"/api/v1/projects?limit=3&cursor={rest['next']}").json()
    assert [p["name"] for p in last["items"]] == ["Late"] and last["next"] is None

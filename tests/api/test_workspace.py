"""GET /workspace for every role (and the outsider), by token and by session."""

from __future__ import annotations

import pytest

from apps.workspaces.permissions import allowed_actions
from tests.api.conftest import ROLES_AND_OUTSIDER


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_workspace_by_role(world, api_client, role):
    response = api_client(world.users[role]).get("/api/v1/workspace")
    if role == "outsider":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["slug"], body["role"]) == ("Acme", "acme", role)
    assert body["allowed_actions"] == sorted(str(a) for a in allowed_actions(role))
    assert body["plan"] == "free"
    # five members, the target, and the one pending invitation of the fixture
    assert body["seats"] == {"used": 7, "limit": 10}


def test_workspace_by_session(world, host_client):
    response = host_client(world.users["developer"], "acme.localhost").get("/api/v1/workspace")
    assert response.status_code == 200 and response.json()["role"] == "developer"
    globex = host_client(world.users["outsider"], "globex.localhost").get("/api/v1/workspace")
    assert globex.json()["slug"] == "globex"

"""API fixtures: raw tokens for any member, and test clients that send them.

Reuses tests/conftest.py's `world` (acme with one member per role, globex owned by the
outsider). `api_client(user)` authenticates with a fresh token of `user` for the workspace
the host names; `api_client(None)` sends nothing.
"""

from __future__ import annotations

import pytest

ROLES_AND_OUTSIDER = ("owner", "admin", "developer", "analyst", "viewer", "outsider")


def operation_ids(client, *tags: str) -> set[str]:
    """The operationIds of the OpenAPI document tagged with any of `tags` (what a role
    table must cover)."""
    doc = client.get("/api/v1/openapi.json").json()
    return {
        op["operationId"]
        for item in doc["paths"].values()
        for op in item.values()
        if set(tags) & set(op.get("tags", ()))
    }


def workspace_of_host(host: str):
    from apps.workspaces.models import Workspace

    return Workspace.objects.get(slug=host.split(".", 1)[0])


@pytest.fixture
def api_token(db):
    """`api_token(user, workspace, **kw)` -> the raw token string (shown once)."""
    from apps.api.actions import do_create_api_token

    def make(user, workspace, name: str = "test", expires_in_days: int | None = None) -> str:
        return do_create_api_token(workspace, user, name, expires_in_days)[1]

    return make


@pytest.fixture
def api_client(api_token):
    """`api_client(user, host="acme.localhost", token=None)` -> a Client sending a Bearer token.

    A user who is not a member of the host's workspace (the outsider on acme) gets a token of
    their own workspace instead (globex), i.e. the cross-workspace call.
    """
    from django.test import Client

    from apps.workspaces.models import Membership

    def make(user=None, host: str = "acme.localhost", token: str | None = None) -> Client:
        if user is not None and token is None:
            workspace = workspace_of_host(host)
            if not Membership.objects.filter(workspace=workspace, user=user).exists():
                workspace = Membership.objects.filter(user=user).first().workspace
            token = api_token(user, workspace)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return Client(HTTP_HOST=host, **headers)

    return make


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    """Counts live in the cache across tests; only tests about 429 set a low limit."""
    settings.NUBLOX_API_RATE_LIMIT = "100000/min"

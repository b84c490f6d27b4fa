"""The role matrix, checked against an independent table and through every workspace view."""

from __future__ import annotations

import pytest

from apps.workspaces.permissions import Action, Role, can, can_grant
from tests.conftest import ROLES
from tests.platform.urlwalk import fill, workspace_patterns

# The product's access policy, written out by hand (not derived from the code under test).
EXPECTED = {
    "owner": {"view", "query-read", "query-write", "plan", "approve", "apply",
              "manage-connections", "manage-members", "manage-billing"},
    "admin": {"view", "query-read", "query-write", "plan", "approve", "apply",
              "manage-connections", "manage-members"},
    "developer": {"view", "query-read", "query-write", "plan", "apply"},
    "analyst": {"view", "query-read"},
    "viewer": {"view"},
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [a.value for a in Action])
def test_role_matrix(role, action):
    assert can(role, action) is (action in EXPECTED[role])


def test_unknown_role_or_action_may_do_nothing():
    assert not can(None, "view")
    assert not can("superhero", "view")
    assert not can("owner", "launch-missiles")


def test_admins_cannot_create_or_demote_owners():
    assert can_grant("owner", "owner")
    assert not can_grant("admin", "owner")
    assert can_grant("admin", "developer")
    assert not any(can_grant(r, "viewer") for r in ("developer", "analyst", "viewer"))


def test_every_workspace_view_declares_its_action():
    missing = [
        route for route, p in workspace_patterns() if not hasattr(p.callback, "required_action")
    ]
    assert missing == [], f"views without @requires(Action...): {missing}"


PAGES = [(route, p) for route, p in workspace_patterns()]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "pattern"), PAGES, ids=[r or "dashboard" for r, _ in PAGES])
def test_views_enforce_the_matrix(world, host_client, role, route, pattern):
    action = pattern.callback.required_action
    ids = {name: pks["acme"] for name, pks in world.objects.items()}
    url = fill(route, pattern, ids)
    c = host_client(world.users[role], "acme.localhost")
    response = c.get(url)
    if response.status_code == 405:  # a POST-only action
        response = c.post(url, {"role": "viewer", "email": "new@acme.test", "name": "P2"})
    if action in EXPECTED[role]:
        assert response.status_code in (200, 302), (role, url, response.status_code)
    else:
        assert response.status_code == 403, (role, url, response.status_code)
        assert b"Not allowed" in response.content


def test_refused_actions_change_nothing(world, host_client):
    c = host_client(world.users["developer"], "acme.localhost")
    target = world.members["target"]
    assert c.post(f"/members/{target.pk}/remove/").status_code == 403
    assert c.post(f"/members/{target.pk}/role/", {"role": "admin"}).status_code == 403
    target.refresh_from_db()
    assert target.role == "viewer"


def test_role_change_and_last_owner_guard(world, host_client):
    owner = host_client(world.users["owner"], "acme.localhost")
    target = world.members["target"]
    owner.post(f"/members/{target.pk}/role/", {"role": Role.ADMIN})
    target.refresh_from_db()
    assert target.role == "admin"
    me = world.members["owner"]
    response = owner.post(f"/members/{me.pk}/role/", {"role": "viewer"}, follow=True)
    me.refresh_from_db()
    assert me.role == "owner"
    assert b"at least one owner" in response.content


def test_admin_cannot_promote_to_owner(world, host_client):
    admin = host_client(world.users["admin"], "acme.localhost")
    target = world.members["target"]
    admin.post(f"/members/{target.pk}/role/", {"role": "owner"})
    target.refresh_from_db()
    assert target.role == "viewer"

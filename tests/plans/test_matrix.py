"""The platform's role-matrix and tenant walks, over the plans URLs, with a stored plan
(what tests/platform does once tests/conftest.py's `world` has a `plan_id` factory)."""

from __future__ import annotations

import pytest

from tests.plans.factories import stored_plan
from tests.platform.test_permissions import EXPECTED
from tests.platform.urlwalk import fill, workspace_patterns

PAGES = [(r, p) for r, p in workspace_patterns() if r.startswith("plans/")]
ROLES = tuple(EXPECTED)


@pytest.fixture
def ids(world):
    plans = {"acme": stored_plan(world.acme).pk, "globex": stored_plan(world.globex).pk}
    return {**world.objects, "plan_id": plans}


def test_every_plans_view_declares_its_action():
    assert PAGES and all(hasattr(p.callback, "required_action") for _, p in PAGES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "pattern"), PAGES, ids=[r for r, _ in PAGES])
def test_plans_views_enforce_the_matrix(world, host_client, ids, role, route, pattern):
    url = fill(route, pattern, {name: pks["acme"] for name, pks in ids.items()})
    c = host_client(world.users[role], "acme.localhost")
    response = c.get(url)
    if response.status_code == 405:
        response = c.post(url, {"role": "viewer", "email": "new@acme.test", "name": "P2"})
    if pattern.callback.required_action in EXPECTED[role]:
        assert response.status_code in (200, 302), (role, url, response.status_code)
    else:
        assert response.status_code == 403 and b"Not allowed" in response.content


@pytest.mark.parametrize(("route", "pattern"), PAGES, ids=[r for r, _ in PAGES])
def test_other_workspaces_plans_are_404(world, host_client, ids, route, pattern):
    url = fill(route, pattern, {name: pks["globex"] for name, pks in ids.items()})
    owner = host_client(world.users["owner"], "acme.localhost")
    if pattern.pattern.converters:
        assert owner.get(url).status_code in (404, 405)
        assert owner.post(url, {"role": "owner", "name": "hijacked"}).status_code == 404
    assert host_client(world.users["owner"], "globex.localhost").get(url).status_code == 404

"""Who may see and change what: every role can browse, only connection managers edit;
another workspace's connection is a 404 on every explorer and connection page."""

from __future__ import annotations

import pytest

from apps.connections.models import Connection
from tests.conftest import ROLES
from tests.explorer.factory import make_snapshot, store_snapshot

BROWSE = [
    "/explore/{pk}/",
    "/explore/{pk}/?db=small&kind=tables",
    "/explore/{pk}/table/?db=small&schema=public&name=table_0001",
    "/explore/{pk}/object/?db=small&kind=view&schema=public&name=cheap_things",
    "/explore/{pk}/search/?q=label",
    "/explore/{pk}/er/?db=small",
    "/explore/{pk}/er.svg?db=small&schema=public&name=table_0001",
    "/connections/{pk}/",
]
MANAGE = ["/connections/{pk}/edit/", "/connections/{pk}/delete/"]
CAN_MANAGE = {"owner", "admin"}


@pytest.fixture
def small(world):
    conn = Connection.objects.get(workspace=world.acme, name="main")
    store_snapshot(conn, "small", make_snapshot(3))
    return conn


@pytest.mark.parametrize("role", ROLES)
def test_every_role_browses_only_managers_change(world, small, host_client, role):
    page = host_client(world.users[role], "acme.localhost")
    for url in BROWSE:
        assert page.get(url.format(pk=small.pk)).status_code == 200, url
    expected = 200 if role in CAN_MANAGE else 403
    for url in [*MANAGE, "/connections/new/", "/connections/policies/"]:
        assert page.get(url.format(pk=small.pk)).status_code == expected, (role, url)
    if role not in CAN_MANAGE:
        page.post(f"/connections/{small.pk}/delete/")
        page.post(f"/connections/{small.pk}/edit/", {"name": "hijacked", "url": small.url})
        small.refresh_from_db()
        assert small.name == "main"


def test_another_workspaces_connection_is_404_everywhere(world, host_client):
    theirs = Connection.objects.get(workspace=world.globex, name="main")
    store_snapshot(theirs, "small", make_snapshot(3))
    page = host_client(world.users["owner"], "acme.localhost")
    for url in BROWSE + MANAGE:
        assert page.get(url.format(pk=theirs.pk)).status_code == 404, url
        assert page.post(url.format(pk=theirs.pk), {"name": "x"}).status_code == 404, url
    assert Connection.objects.filter(pk=theirs.pk, name="main").exists()
    other = world.globex.connection_policies.first()
    assert page.get(f"/connections/policies/?policy={other.pk}").status_code == 404


def test_a_non_member_cannot_open_the_explorer(world, host_client):
    conn = Connection.objects.get(workspace=world.acme, name="main")
    stranger = host_client(world.users["outsider"], "acme.localhost")
    assert stranger.get(f"/explore/{conn.pk}/").status_code == 404

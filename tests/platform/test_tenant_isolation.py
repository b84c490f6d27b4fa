"""No member of one workspace can see or change another's objects, on any workspace URL.

The URL patterns are discovered from nublox.urls_workspace, so a page added later is
covered without touching this file; an id kind without a factory here fails loudly.
"""

from __future__ import annotations

import re

import pytest

from tests.platform.urlwalk import fill, workspace_patterns

PAGES = workspace_patterns()
IDS = [r or "dashboard" for r, _ in PAGES]


def test_every_url_kwarg_has_a_factory(world):
    kwargs = {name for _, p in PAGES for name in p.pattern.converters}
    assert kwargs <= set(world.objects), (
        f"add factories to tests/conftest.py: {kwargs - set(world.objects)}"
    )


OBJECT_PAGES = [(r, p) for r, p in PAGES if p.pattern.converters]


@pytest.mark.parametrize(("route", "pattern"), OBJECT_PAGES, ids=[r for r, _ in OBJECT_PAGES])
def test_other_workspaces_objects_are_404(world, host_client, route, pattern):
    ids = {name: pks["globex"] for name, pks in world.objects.items()}
    url = fill(route, pattern, ids)
    owner = host_client(world.users["owner"], "acme.localhost")
    assert owner.get(url).status_code in (404, 405)
    assert owner.post(url, {"role": "owner", "name": "hijacked"}).status_code == 404


@pytest.mark.parametrize(("route", "pattern"), PAGES, ids=IDS)
def test_other_workspaces_host_is_404(world, host_client, route, pattern):
    ids = {name: pks["globex"] for name, pks in world.objects.items()}
    url = fill(route, pattern, ids)
    owner = host_client(world.users["owner"], "globex.localhost")
    assert owner.get(url).status_code == 404
    assert owner.post(url, {"role": "owner"}).status_code == 404


def test_nothing_of_globex_changed(world, host_client):
    from apps.workspaces.models import Membership

    owner = host_client(world.users["owner"], "acme.localhost")
    gm = world.objects["member_id"]["globex"]
    owner.post(f"/members/{gm}/role/", {"role": "viewer"})
    owner.post(f"/members/{gm}/remove/")
    assert Membership.objects.get(pk=gm).role == "owner"
    gp = world.objects["project_id"]["globex"]
    owner.post(f"/projects/{gp}/edit/", {"name": "hijacked"})
    assert world.globex.projects.get().name == "Default"


def test_non_member_sees_the_same_404_as_an_unknown_workspace(world, host_client):
    stranger = host_client(world.users["outsider"], "acme.localhost")
    unknown = host_client(world.users["outsider"], "nosuchworkspace.localhost")
    a, b = stranger.get("/"), unknown.get("/")
    assert a.status_code == b.status_code == 404
    token = re.compile(rb'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", a.content) == token.sub(b"", b.content)


def test_anonymous_visitors_are_sent_to_sign_in_whether_or_not_it_exists(world, host_client):
    a = host_client(None, "acme.localhost").get("/members/")
    b = host_client(None, "nosuchworkspace.localhost").get("/members/")
    assert a.status_code == b.status_code == 302
    assert a["Location"].startswith("http://localhost/accounts/handoff/?next=")
    assert b["Location"].startswith("http://localhost/accounts/handoff/?next=")


def test_nested_subdomains_are_404(world, host_client):
    assert host_client(world.users["owner"], "x.acme.localhost").get("/").status_code == 404

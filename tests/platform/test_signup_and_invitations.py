"""Sign up -> verify e-mail -> create a workspace -> land on its subdomain; invitations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.workspaces.models import Invitation, Membership, Workspace

PASSWORD = "a-long-and-unusual-passphrase"


def _link(message, pattern: str) -> str:
    match = re.search(pattern, message.body)
    assert match, message.body
    return match.group(0)


def _sign_up_and_verify(c, email: str) -> None:
    r = c.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 302, r.content[:500]
    confirm = _link(mail.outbox[-1], r"http://localhost/accounts/confirm-email/[^\s]+")
    path = confirm.replace("http://localhost", "")
    assert c.get(path).status_code == 200
    r = c.post(path)
    assert r.status_code == 302


@pytest.mark.django_db
def test_signup_verify_create_workspace_land_on_subdomain(host_client):
    c = host_client(None, "localhost")
    _sign_up_and_verify(c, "ada@example.com")
    assert "Confirm" in mail.outbox[0].subject
    chooser = c.get("/")
    assert b"Your workspaces" in chooser.content
    r = c.post("/workspaces/new/", {"name": "Acme Corp", "slug": "acme"})
    assert r.status_code == 302
    assert r["Location"] == "http://acme.localhost/"
    ws = Workspace.objects.get(slug="acme")
    assert Membership.objects.get(workspace=ws).role == "owner"
    # the same session on the subdomain (the test client shares cookies across hosts)
    page = c.get("/", HTTP_HOST="acme.localhost")
    assert page.status_code == 200
    assert b"Acme Corp" in page.content


@pytest.mark.django_db
def test_unverified_user_cannot_sign_in(host_client):
    c = host_client(None, "localhost")
    c.post("/accounts/signup/", {"email": "bob@example.com", "password1": PASSWORD,
                                 "password2": PASSWORD})  # fmt: skip
    c.logout()
    r = c.post("/accounts/login/", {"login": "bob@example.com", "password": PASSWORD})
    assert r.status_code == 302 and "confirm-email" in r["Location"]
    assert c.get("/workspaces/new/").status_code == 302  # still anonymous


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("www", "reserved"),
        ("api", "reserved"),
        ("acme!", "lowercase"),
        ("acme_corp", "lowercase"),
        ("-acme", "lowercase"),
        ("a--b", "Two hyphens"),
        ("x" * 64, "63"),
        ("globex", "already taken"),
    ],
)
def test_slug_rules(world, host_client, slug, message):
    c = host_client(world.users["owner"], "localhost")
    r = c.post("/workspaces/new/", {"name": "New", "slug": slug})
    assert r.status_code == 200
    assert message in r.content.decode()
    assert not Workspace.objects.filter(name="New").exists()


def test_slug_is_lowercased(world, host_client):
    c = host_client(world.users["owner"], "localhost")
    r = c.post("/workspaces/new/", {"name": "NewCo", "slug": "NewCo"})
    assert r["Location"] == "http://newco.localhost/"


def test_invitation_accepted_by_a_second_user(
    world, host_client, django_capture_on_commit_callbacks
):
    owner = host_client(world.users["owner"], "acme.localhost")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = owner.post("/members/invite/", {"email": "Grace@Example.com", "role": "analyst"})
    assert r.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["grace@example.com"]
    link = _link(mail.outbox[0], r"http://localhost/invitations/[^\s]+")
    path = link.replace("http://localhost", "")

    visitor = host_client(None, "localhost")
    page = visitor.get(path)
    assert b"Join Acme" in page.content and b"Analyst" in page.content
    _sign_up_and_verify(visitor, "grace@example.com")
    r = visitor.post(path)
    assert r.status_code == 302 and r["Location"] == "http://acme.localhost/"
    grace = Membership.objects.get(workspace=world.acme, user__email="grace@example.com")
    assert grace.role == "analyst"
    assert visitor.get("/", HTTP_HOST="acme.localhost").status_code == 200
    # single use
    again = visitor.post(path)
    assert b"has been accepted" in again.content
    assert Membership.objects.filter(user__email="grace@example.com").count() == 1


def test_invitation_for_another_address_is_refused(world, host_client):
    from apps.workspaces import actions

    token = actions.do_invite(world.acme, world.users["owner"], "carol@example.com", "viewer")
    outsider = host_client(world.users["outsider"], "localhost")
    r = outsider.post(f"/invitations/{token}/")
    assert b"was sent to carol@example.com" in r.content
    assert not Membership.objects.filter(
        workspace=world.acme, user=world.users["outsider"]
    ).exists()


def test_expired_revoked_and_bogus_invitations(world, host_client):
    from apps.workspaces import actions

    token = actions.do_invite(world.acme, world.users["owner"], "owner@globex.test", "viewer")
    Invitation.objects.filter(email="owner@globex.test").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    outsider = host_client(world.users["outsider"], "localhost")
    assert b"has been expired" in outsider.post(f"/invitations/{token}/").content
    token = actions.do_invite(world.acme, world.users["owner"], "owner@globex.test", "viewer")
    inv = Invitation.objects.pending().get(email="owner@globex.test")
    owner = host_client(world.users["owner"], "acme.localhost")
    owner.post(f"/invitations/{inv.pk}/revoke/")
    assert b"has been revoked" in outsider.post(f"/invitations/{token}/").content
    assert outsider.get("/invitations/not-a-real-token/").status_code == 404
    assert not Membership.objects.filter(
        workspace=world.acme, user=world.users["outsider"]
    ).exists()


def test_invitation_token_is_stored_only_as_a_hash(world):
    from apps.workspaces import actions

    token = actions.do_invite(world.acme, world.users["owner"], "dan@example.com", "viewer")
    inv = Invitation.objects.get(email="dan@example.com")
    assert token not in inv.token_hash and len(inv.token_hash) == 64


def test_admin_cannot_invite_an_owner(world, host_client):
    admin = host_client(world.users["admin"], "acme.localhost")
    r = admin.post("/members/invite/", {"email": "eve@example.com", "role": "owner"}, follow=True)
    assert b"cannot invite" in r.content
    assert not Invitation.objects.filter(email="eve@example.com").exists()

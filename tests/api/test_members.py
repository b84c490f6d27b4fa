"""Members and invitations through the API, for every role, through the same actions (and
audit events) as the members page."""

from __future__ import annotations

import pytest
from django.core import mail

from apps.audit.models import AuditEvent
from apps.workspaces.models import Membership
from apps.workspaces.permissions import Action, can
from tests.api.conftest import ROLES_AND_OUTSIDER
from tests.api.test_tokens import assert_error

JSON = "application/json"


def expected(role: str, action: Action, ok: int) -> int:
    if role == "outsider":
        return 401
    return ok if can(role, action) else 403


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_list_and_get_members(world, api_client, role):
    client = api_client(world.users[role])
    listed = client.get("/api/v1/members")
    assert listed.status_code == expected(role, Action.VIEW, 200)
    if listed.status_code == 200:
        emails = [m["email"] for m in listed.json()["items"]]
        assert len(emails) == 6 and "owner@acme.test" in emails
        assert "owner@globex.test" not in emails
        target = world.members["target"]
        got = client.get(f"/api/v1/members/{target.pk}").json()
        assert got == {**got, "email": "target@acme.test", "role": "viewer"}


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_change_role(world, api_client, role):
    target = world.members["target"]
    response = api_client(world.users[role]).patch(
        f"/api/v1/members/{target.pk}", {"role": "developer"}, content_type=JSON
    )
    assert response.status_code == expected(role, Action.MANAGE_MEMBERS, 200)
    target.refresh_from_db()
    if response.status_code == 200:
        assert response.json()["role"] == "developer" and target.role == "developer"
        event = AuditEvent.objects.get(action="member.role_change")
        assert event.actor_id == world.users[role].pk
        assert event.details == {
            "member": "target@acme.test", "from": "viewer", "to": "developer", "via": "api"
        }  # fmt: skip
    else:
        assert target.role == "viewer"
        assert not AuditEvent.objects.filter(action="member.role_change").exists()


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_remove_member(world, api_client, role):
    target = world.members["target"]
    response = api_client(world.users[role]).delete(f"/api/v1/members/{target.pk}")
    assert response.status_code == expected(role, Action.MANAGE_MEMBERS, 204)
    gone = not Membership.objects.filter(pk=target.pk).exists()
    assert gone is (response.status_code == 204)
    assert AuditEvent.objects.filter(action="member.remove").exists() is gone


def test_refusals_keep_their_message(world, api_client):
    admin = api_client(world.users["admin"])
    owner_id = world.members["owner"].pk
    error = assert_error(
        admin.patch(f"/api/v1/members/{owner_id}", {"role": "viewer"}, content_type=JSON),
        400,
        "refused",
    )
    assert "cannot change" in error["message"]
    owner = api_client(world.users["owner"])
    last = owner.patch(f"/api/v1/members/{owner_id}", {"role": "viewer"}, content_type=JSON)
    assert "at least one owner" in assert_error(last, 400, "refused")["message"]
    bad = owner.patch(f"/api/v1/members/{owner_id}", {"role": "emperor"}, content_type=JSON)
    assert_error(bad, 400, "invalid", "role")
    assert_error(owner.delete("/api/v1/members/999999"), 404, "not_found")


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_list_invitations(world, api_client, role):
    client = api_client(world.users[role])
    response = client.get("/api/v1/invitations")
    assert response.status_code == expected(role, Action.VIEW, 200)
    if response.status_code == 200:
        assert [i["email"] for i in response.json()["items"]] == ["someone@acme.test"]
        assert client.get("/api/v1/invitations?status=revoked").json()["items"] == []
        assert len(client.get("/api/v1/invitations?status=pending").json()["items"]) == 1
        assert_error(client.get("/api/v1/invitations?status=nope"), 400, "invalid", "status")


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_create_invitation(world, api_client, role, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = {"email": " New@Acme.test ", "role": "analyst"}
        response = api_client(world.users[role]).post(
            "/api/v1/invitations", body, content_type=JSON
        )
    assert response.status_code == expected(role, Action.MANAGE_MEMBERS, 201)
    sent = [m for m in mail.outbox if "new@acme.test" in m.to]
    if response.status_code == 201:
        body = response.json()
        assert (body["email"], body["role"]) == ("new@acme.test", "analyst")
        assert body["status"] == "pending" and body["invited_by"] == world.users[role].email
        assert len(sent) == 1
        assert "token" not in body and "/invitations/" not in response.content.decode()
    else:
        assert sent == [] and not world.acme.invitations.filter(email="new@acme.test").exists()


def test_invitation_input_and_refusals(world, api_client):
    admin = api_client(world.users["admin"])
    invite = "/api/v1/invitations"
    bad = admin.post(invite, {"email": "not-an-address"}, content_type=JSON)
    assert_error(bad, 400, "invalid", "email")
    owner_role = admin.post(invite, {"email": "x@acme.test", "role": "owner"}, content_type=JSON)
    assert "cannot invite" in assert_error(owner_role, 400, "refused")["message"]
    member = admin.post(invite, {"email": "viewer@acme.test"}, content_type=JSON)
    assert "already a member" in assert_error(member, 400, "refused")["message"]


@pytest.mark.parametrize("role", ROLES_AND_OUTSIDER)
def test_revoke_invitation(world, api_client, role):
    invitation = world.acme.invitations.get()
    client = api_client(world.users[role])
    response = client.post(f"/api/v1/invitations/{invitation.pk}/revoke")
    assert response.status_code == expected(role, Action.MANAGE_MEMBERS, 200)
    invitation.refresh_from_db()
    assert (invitation.status == "revoked") is (response.status_code == 200)
    if response.status_code == 200:
        assert response.json()["status"] == "revoked"
        assert AuditEvent.objects.filter(action="invitation.revoke").count() == 1
        again = client.post(f"/api/v1/invitations/{invitation.pk}/revoke")
        assert_error(again, 409, "invitation_not_pending")

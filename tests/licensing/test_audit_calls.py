"""Every write in apps/workspaces/actions.py leaves its audit event, in its transaction."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.workspaces import actions
from apps.workspaces.actions import ActionRefused
from tests.conftest import make_user


def _last(workspace, action: str) -> AuditEvent:
    return AuditEvent.objects.filter(workspace=workspace, action=action).order_by("-seq").first()


def test_workspace_create(world):
    event = _last(world.acme, "workspace.create")
    assert event.actor_id == world.users["owner"].pk
    assert (event.target_type, event.target_id) == ("workspaces.Workspace", str(world.acme.pk))


def test_invite_accept_and_revoke(world):
    owner = world.users["owner"]
    token = actions.do_invite(world.acme, owner, "Carol@Example.com", "analyst")
    invite = _last(world.acme, "member.invite")
    assert invite.actor_id == owner.pk and invite.target_type == "workspaces.Invitation"
    assert invite.details == {"email": "carol@example.com", "role": "analyst"}
    assert token not in str(invite.details) and token not in invite.target_label
    carol = make_user("carol@example.com")
    membership = actions.do_accept_invitation(token, carol)
    accept = _last(world.acme, "member.accept")
    assert accept.actor_id == carol.pk and accept.target_id == str(membership.pk)
    pending = world.acme.invitations.get(email="someone@acme.test")
    actions.do_revoke_invitation(pending, by=owner)
    revoke = _last(world.acme, "invitation.revoke")
    assert revoke.actor_id == owner.pk and revoke.target_id == str(pending.pk)


def test_role_change_and_remove(world):
    owner, target = world.users["owner"], world.members["target"]
    actions.do_change_role(target, "analyst", owner)
    event = _last(world.acme, "member.role_change")
    assert event.details == {"member": "target@acme.test", "from": "viewer", "to": "analyst"}
    actions.do_remove_member(target, owner)
    event = _last(world.acme, "member.remove")
    assert event.actor_id == owner.pk and event.details["member"] == "target@acme.test"


def test_project_save_and_rename(world):
    owner = world.users["owner"]
    project = actions.do_save_project(world.acme, "Billing", "", by=owner)
    event = _last(world.acme, "project.save")
    assert event.details == {"name": "Billing", "created": True}
    assert event.target_id == str(project.pk)
    actions.do_save_project(world.acme, "Billing 2", "", project=project, by=owner)
    assert _last(world.acme, "project.save").details == {"name": "Billing 2", "created": False}
    actions.do_rename_workspace(world.acme, " Acme Inc ", by=owner)
    event = _last(world.acme, "workspace.rename")
    assert event.details == {"from": "Acme", "to": "Acme Inc"} and event.actor_id == owner.pk


def test_a_refused_action_leaves_no_ok_event(world):
    before = AuditEvent.objects.filter(workspace=world.acme).count()
    with pytest.raises(ActionRefused):
        actions.do_save_project(world.acme, "Default", "", by=world.users["owner"])
    with pytest.raises(ActionRefused):
        actions.do_remove_member(world.members["owner"], world.users["owner"])
    assert AuditEvent.objects.filter(workspace=world.acme).count() == before

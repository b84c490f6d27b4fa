"""Every write to workspaces, members, invitations and projects happens here.

Views, the API, management commands and tests call these `do_*` functions; each runs in
one transaction and raises `ActionRefused` (a message a person can act on) instead of
leaving anything half done. Each appends its audit event inside that transaction, so the
change and its record commit together. Seats are checked through apps.licensing.seats
(imported where used: licensing builds on this module's `ActionRefused`).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.audit.log import record
from apps.workspaces.hosts import apex_url
from apps.workspaces.models import (
    INVITATION_LIFETIME,
    Invitation,
    Membership,
    Project,
    Workspace,
    hash_token,
)
from apps.workspaces.permissions import Role, can_grant
from apps.workspaces.slugs import validate_slug


class ActionRefused(Exception):
    """A request that cannot be carried out, with the reason to show the user.

    `code` names the refusal for scripts (the API's error code); `conflict` marks one
    caused by the object's current state rather than by the request (the API's 409)."""

    def __init__(self, message: str = "", *, code: str = "refused", conflict: bool = False):
        super().__init__(message)
        self.code, self.conflict = code, conflict


def do_create_workspace(user, name: str, slug: str) -> Workspace:
    validate_slug(slug)
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(name=name.strip(), slug=slug, created_by=user)
            Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
            Project.objects.create(workspace=workspace, name="Default")
            record(workspace, user, "workspace.create", target=workspace, details={"slug": slug})
    except IntegrityError:
        raise ActionRefused(f"The address “{slug}” is already taken.") from None
    return workspace


def _lock_seats(workspace: Workspace) -> None:
    """Serialize seat counting per workspace, so two invitations cannot take the last seat."""
    Workspace.objects.select_for_update().filter(pk=workspace.pk).exists()


def do_invite(workspace: Workspace, invited_by, email: str, role: str, port: str = "") -> str:
    """Create an invitation and e-mail its link. Returns the raw token (shown nowhere else)."""
    from apps.licensing.seats import check_seat_for_invite

    inviter = Membership.objects.get(workspace=workspace, user=invited_by)
    if not can_grant(inviter.role, role):
        raise ActionRefused(f"You cannot invite someone as {Role(role).label}.")
    email = email.strip().lower()
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise ActionRefused(f"{email} is already a member of this workspace.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        _lock_seats(workspace)
        check_seat_for_invite(workspace, email)
        workspace.invitations.pending().filter(email=email).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            workspace=workspace,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=invited_by,
            expires_at=timezone.now() + INVITATION_LIFETIME,
        )
        details = {"email": email, "role": role}
        record(workspace, invited_by, "member.invite", target=invitation, details=details)
        context = {
            "workspace": workspace,
            "inviter": invited_by,
            "role": Role(role).label,
            "link": apex_url(f"/invitations/{token}/", port),
            "days": INVITATION_LIFETIME.days,
        }
        transaction.on_commit(
            lambda: send_mail(
                subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Join {workspace.name}",
                message=render_to_string("workspaces/email/invitation.txt", context),
                from_email=None,
                recipient_list=[email],
            )
        )
    return token


def find_invitation(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=hash_token(token))
        .first()
    )


def user_emails(user) -> set[str]:
    from allauth.account.models import EmailAddress

    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return {e.lower() for e in verified}


def do_accept_invitation(token: str, user) -> Membership:
    from apps.licensing.seats import check_seat_for_accept

    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=hash_token(token))
            .select_related("workspace")
            .first()
        )
        if invitation is None:
            raise ActionRefused("This invitation link is not valid.")
        if invitation.status != "pending":
            raise ActionRefused(f"This invitation has been {invitation.status}.")
        if invitation.email not in user_emails(user):
            raise ActionRefused(
                f"This invitation was sent to {invitation.email}. Sign in with that address "
                "(verified) to accept it."
            )
        workspace = invitation.workspace
        _lock_seats(workspace)
        joining = not workspace.memberships.filter(user=user).exists()
        if joining:
            check_seat_for_accept(workspace)
        membership, _ = Membership.objects.get_or_create(
            workspace=workspace, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        details = {"email": invitation.email, "role": membership.role, "joined": joining}
        record(workspace, user, "member.accept", target=membership, details=details)
    return membership


def _owners_left(workspace: Workspace, excluding: Membership) -> int:
    return workspace.memberships.filter(role=Role.OWNER).exclude(pk=excluding.pk).count()


def do_change_role(membership: Membership, role: str, by) -> Membership:
    actor = Membership.objects.get(workspace=membership.workspace, user=by)
    if not can_grant(actor.role, role) or not can_grant(actor.role, membership.role):
        raise ActionRefused("You cannot change this member to or from that role.")
    with transaction.atomic():
        demoting_owner = membership.role == Role.OWNER and role != Role.OWNER
        if demoting_owner and _owners_left(membership.workspace, membership) == 0:
            raise ActionRefused("A workspace needs at least one owner.")
        details = {"member": membership.user.email, "from": membership.role, "to": role}
        membership.role = role
        membership.save(update_fields=["role"])
        record(membership.workspace, by, "member.role_change", target=membership, details=details)
    return membership


def do_remove_member(membership: Membership, by) -> None:
    actor = Membership.objects.get(workspace=membership.workspace, user=by)
    if not can_grant(actor.role, membership.role):
        raise ActionRefused("You cannot remove a member with that role.")
    with transaction.atomic():
        if membership.role == Role.OWNER and _owners_left(membership.workspace, membership) == 0:
            raise ActionRefused("A workspace needs at least one owner.")
        details = {"member": membership.user.email, "role": membership.role}
        record(membership.workspace, by, "member.remove", target=membership, details=details)
        membership.delete()


def do_revoke_invitation(invitation: Invitation, by=None) -> None:
    if invitation.status != "pending":
        raise ActionRefused(f"This invitation is already {invitation.status}.")
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        details = {"email": invitation.email, "role": invitation.role}
        record(invitation.workspace, by, "invitation.revoke", target=invitation, details=details)


def do_save_project(
    workspace: Workspace, name: str, description: str, project=None, by=None
) -> Project:
    project = project or Project(workspace=workspace)
    created = project.pk is None
    project.name = name.strip()
    project.description = description.strip()
    try:
        with transaction.atomic():
            project.save()
            details = {"name": project.name, "created": created}
            record(workspace, by, "project.save", target=project, details=details)
    except IntegrityError:
        raise ActionRefused(f"A project named “{project.name}” already exists.") from None
    return project


def do_rename_workspace(workspace: Workspace, name: str, by=None) -> Workspace:
    with transaction.atomic():
        details = {"from": workspace.name, "to": name.strip()}
        workspace.name = name.strip()
        workspace.save(update_fields=["name"])
        record(workspace, by, "workspace.rename", target=workspace, details=details)
    return workspace

"""Invitations: list (any member, as on the members page), create and revoke
(MANAGE_MEMBERS). The invitation link is e-mailed by the action and never returned here:
whoever calls the API is not the invitee.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import Q
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from apps.api.access import require_api
from apps.api.errors import Conflict
from apps.api.fields import Email, ObjectId
from apps.api.pagination import Page, PageQuery, cursor_page
from apps.workspaces import actions
from apps.workspaces.access import get_invitation_for
from apps.workspaces.hosts import request_port
from apps.workspaces.permissions import Action, Role

router = Router(tags=["invitations"])

InvitationStatus = Literal["pending", "accepted", "revoked", "expired"]


class InvitationOut(Schema):
    id: int
    email: str
    role: Role
    status: InvitationStatus
    invited_by: str | None
    created_at: datetime
    expires_at: datetime


class InvitationIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 400, not ignored

    email: Email
    role: Role = Role.DEVELOPER


class InvitationFilters(Schema):
    status: InvitationStatus | None = None


def _status_filter(status: str) -> Q:
    now = timezone.now()
    unsettled = Q(accepted_at__isnull=True, revoked_at__isnull=True)
    return {
        "pending": unsettled & Q(expires_at__gt=now),
        "accepted": Q(accepted_at__isnull=False),
        "revoked": Q(accepted_at__isnull=True, revoked_at__isnull=False),
        "expired": unsettled & Q(expires_at__lte=now),
    }[status]


def invitation_out(invitation) -> dict:
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "role": invitation.role,
        "status": invitation.status,
        "invited_by": invitation.invited_by.email if invitation.invited_by else None,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
    }


@router.get(
    "",
    response=Page[InvitationOut],
    operation_id="invitations_list",
    summary="List invitations, newest first (filter by status)",
)
def invitations_list(request, filters: Query[InvitationFilters], page: Query[PageQuery]):
    require_api(request, Action.VIEW)
    found = request.workspace.invitations.select_related("invited_by")
    if filters.status:
        found = found.filter(_status_filter(filters.status))
    result = cursor_page(found, cursor=page.cursor, limit=page.limit, order="-id")
    return {"items": [invitation_out(i) for i in result["items"]], "next": result["next"]}


@router.post(
    "",
    response={201: InvitationOut},
    operation_id="invitations_create",
    summary="Invite someone by e-mail (the link goes to them; seats are checked)",
)
def invitations_create(request, payload: InvitationIn):
    require_api(request, Action.MANAGE_MEMBERS)
    workspace = request.workspace
    actions.do_invite(
        workspace, request.user, payload.email, payload.role.value, request_port(request)
    )
    invitation = workspace.invitations.pending().filter(email=payload.email).latest("id")
    return Status(201, invitation_out(invitation))


@router.get(
    "/{invitation_id}",
    response=InvitationOut,
    operation_id="invitations_get",
    summary="Get one invitation",
)
def invitations_get(request, invitation_id: ObjectId):
    return invitation_out(get_invitation_for(request, invitation_id, Action.VIEW))


@router.post(
    "/{invitation_id}/revoke",
    response=InvitationOut,
    operation_id="invitations_revoke",
    summary="Revoke a pending invitation (its link stops working)",
)
def invitations_revoke(request, invitation_id: ObjectId):
    invitation = get_invitation_for(request, invitation_id, Action.MANAGE_MEMBERS)
    if invitation.status != "pending":
        raise Conflict(
            "invitation_not_pending",
            f"This invitation is already {invitation.status}: only pending ones can be revoked.",
        )
    actions.do_revoke_invitation(invitation, by=request.user)
    return invitation_out(invitation)

"""Members of the workspace: list (any member), change role and remove (MANAGE_MEMBERS).

Writes go through apps.workspaces.actions, which audit them and refuse what the pages refuse
(an admin cannot touch owners, the last owner stays) as 400 "refused".
"""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from apps.api.access import require_api
from apps.api.fields import ObjectId
from apps.api.pagination import Page, PageQuery, cursor_page
from apps.workspaces import actions
from apps.workspaces.access import get_membership_for
from apps.workspaces.permissions import Action, Role

router = Router(tags=["members"])


class MemberOut(Schema):
    id: int
    user_id: int
    email: str
    role: Role
    joined_at: datetime


class RoleIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 400, not ignored

    role: Role


def member_out(membership) -> dict:
    return {
        "id": membership.pk,
        "user_id": membership.user_id,
        "email": membership.user.email,
        "role": membership.role,
        "joined_at": membership.created_at,
    }


@router.get(
    "",
    response=Page[MemberOut],
    operation_id="members_list",
    summary="List the workspace's members (oldest first)",
)
def members_list(request, page: Query[PageQuery]):
    require_api(request, Action.VIEW)
    found = request.workspace.memberships.select_related("user")
    result = cursor_page(found, cursor=page.cursor, limit=page.limit, order="id")
    return {"items": [member_out(m) for m in result["items"]], "next": result["next"]}


@router.get(
    "/{member_id}", response=MemberOut, operation_id="members_get", summary="Get one member"
)
def members_get(request, member_id: ObjectId):
    return member_out(get_membership_for(request, member_id, Action.VIEW))


@router.patch(
    "/{member_id}",
    response=MemberOut,
    operation_id="members_change_role",
    summary="Change a member's role (admins cannot grant or change owner)",
)
def members_change_role(request, member_id: ObjectId, payload: RoleIn):
    membership = get_membership_for(request, member_id, Action.MANAGE_MEMBERS)
    actions.do_change_role(membership, payload.role.value, request.user)
    return member_out(membership)


@router.delete(
    "/{member_id}",
    response={204: None},
    operation_id="members_remove",
    summary="Remove a member from the workspace (their API tokens stop working)",
)
def members_remove(request, member_id: ObjectId):
    membership = get_membership_for(request, member_id, Action.MANAGE_MEMBERS)
    actions.do_remove_member(membership, request.user)
    return Status(204, None)

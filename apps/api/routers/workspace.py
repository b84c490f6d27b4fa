"""GET /workspace: who am I here, and what may I do (scripts check before they try)."""

from __future__ import annotations

from ninja import Router, Schema

from apps.api.access import require_api
from apps.licensing.entitlements import effective_license
from apps.licensing.seats import seats_in_use
from apps.workspaces.permissions import Action, allowed_actions

router = Router(tags=["workspace"])


class SeatsOut(Schema):
    used: int  # members plus pending invitations, as the license counts them
    limit: int


class WorkspaceOut(Schema):
    name: str
    slug: str
    plan: str
    seats: SeatsOut
    role: str
    allowed_actions: list[str]


@router.get(
    "",
    response=WorkspaceOut,
    operation_id="workspace_get",
    summary="The workspace, its plan and seats, your role and what it allows",
)
def workspace_get(request):
    require_api(request, Action.VIEW)
    workspace = request.workspace
    license_ = effective_license(workspace)
    role = request.membership.role
    return {
        "name": workspace.name,
        "slug": workspace.slug,
        "plan": license_.plan,
        "seats": {"used": seats_in_use(workspace), "limit": license_.seats},
        "role": role,
        "allowed_actions": sorted(str(a) for a in allowed_actions(role)),
    }

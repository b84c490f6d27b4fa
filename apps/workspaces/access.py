"""Get things for a request, or refuse: the only way views reach workspace objects.

`requires(action)` guards a view with the permissions module and records the action on
the view (tests walk the URL conf and read it). `get_<thing>_for(request, id, action)`
returns an object of the current workspace or raises 404 — another workspace's object is
indistinguishable from a missing one.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from apps.workspaces.models import Invitation, Membership, Project
from apps.workspaces.permissions import Action, can


def require(request, action: Action) -> None:
    if getattr(request, "workspace", None) is None:
        raise Http404("No such workspace")
    if not can(request.membership.role, action):
        raise PermissionDenied(
            f"Your role ({request.membership.get_role_display()}) cannot: {action.label.lower()}."
        )


def requires(action: Action):
    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            require(request, action)
            return view(request, *args, **kwargs)

        guarded.required_action = action
        return guarded

    return decorate


def get_project_for(request, project_id: int, action: Action) -> Project:
    require(request, action)
    return get_object_or_404(Project, pk=project_id, workspace=request.workspace)


def get_membership_for(request, member_id: int, action: Action) -> Membership:
    require(request, action)
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=member_id, workspace=request.workspace
    )


def get_invitation_for(request, invitation_id: int, action: Action) -> Invitation:
    require(request, action)
    return get_object_or_404(Invitation, pk=invitation_id, workspace=request.workspace)

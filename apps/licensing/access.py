"""Reach licenses for a request: a workspace's own through its owners, any through staff.

Staff pages answer 404 to everyone else, like an unknown address, so they reveal nothing.
"""

from __future__ import annotations

from functools import wraps

from django.http import Http404
from django.shortcuts import get_object_or_404

from apps.licensing.models import License
from apps.workspaces.access import require
from apps.workspaces.models import Workspace
from apps.workspaces.permissions import Action


def get_license_for(request, license_id: int, action: Action) -> License:
    require(request, action)
    return get_object_or_404(License, pk=license_id, workspace=request.workspace)


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def staff_only(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not is_staff(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    guarded.staff_only = True
    return guarded


def get_workspace_for_staff(request, slug: str) -> Workspace:
    if not is_staff(request.user):
        raise Http404("No such page")
    return get_object_or_404(Workspace, slug=slug)


def get_license_for_staff(request, workspace: Workspace, license_id: int) -> License:
    if not is_staff(request.user):
        raise Http404("No such page")
    return get_object_or_404(License, pk=license_id, workspace=workspace)

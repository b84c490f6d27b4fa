"""The API's gate: the same permissions module as the pages, with API status codes.

Authentication (apps/api/auth.py) has already set `request.workspace`,
`request.membership` and `request.user` for session and token callers alike. Objects are
fetched with apps.workspaces.access's `get_<thing>_for` helpers, whose Http404 and
PermissionDenied apps/api/core.py maps to 404 and 403.
"""

from __future__ import annotations

from django.http import Http404

from apps.api.errors import ApiError
from apps.workspaces.permissions import Action, can


def require_api(request, action: Action) -> None:
    """404 without a workspace membership (nothing is revealed), 403 if the role lacks it."""
    membership = getattr(request, "membership", None)
    if getattr(request, "workspace", None) is None or membership is None:
        raise Http404("No such workspace")
    if not can(membership.role, action):
        raise ApiError(
            403,
            "forbidden",
            f"Your role ({membership.get_role_display()}) cannot: {action.label.lower()}.",
        )

"""Template context shared by every page: the current workspace, role and allowed actions."""

from apps.workspaces.hosts import apex_url, request_port, slug_from_host
from apps.workspaces.permissions import allowed_actions


def workspace(request):
    membership = getattr(request, "membership", None)
    role = membership.role if membership else None
    return {
        "workspace": getattr(request, "workspace", None),
        "membership": membership,
        "can": {action.value.replace("-", "_"): True for action in allowed_actions(role)},
        "apex_url": apex_url("/", request_port(request)),
        # Forms post to their own host (host-only CSRF cookies): a page on a subdomain the
        # user is not a member of cannot sign out there, so it links to the apex instead.
        "can_sign_out_here": membership is not None or slug_from_host(request.get_host()) == "",
    }

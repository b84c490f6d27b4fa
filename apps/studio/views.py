"""The Studio's pages on a workspace subdomain (issue #7 grows them)."""

from django.shortcuts import render

from apps.connections.access import get_connection_for
from apps.workspaces.access import requires
from apps.workspaces.permissions import Action


@requires(Action.VIEW)
def dashboard(request):
    workspace = request.workspace
    context = {
        "connections": workspace.connections.select_related("project")[:20],
        "projects": workspace.projects.all()[:20],
        "members": workspace.memberships.select_related("user")[:20],
        "member_count": workspace.memberships.count(),
    }
    return render(request, "studio/dashboard.html", context)


@requires(Action.VIEW)
def connections(request):
    items = request.workspace.connections.select_related("project")
    return render(request, "studio/connections.html", {"connections": items})


@requires(Action.VIEW)
def connection_detail(request, connection_id: int):
    connection = get_connection_for(request, connection_id, Action.VIEW)
    return render(request, "studio/connection_detail.html", {"connection": connection})

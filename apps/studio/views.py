"""The Studio's pages on a workspace subdomain (issue #7 grows them)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.connections.access import get_connection_for
from apps.connections.diagnose import test_connection
from apps.jobs.tasks import learn_connection_task
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
    items = request.workspace.connections.select_related("project", "policy")
    return render(request, "studio/connections.html", {"connections": items})


@requires(Action.VIEW)
def connection_detail(request, connection_id: int):
    """The server page: facts, policy, databases and the "Test connection" button."""
    connection = get_connection_for(request, connection_id, Action.VIEW)
    return _detail(request, connection, outcome=None)


@requires(Action.MANAGE_CONNECTIONS)
@require_POST
def connection_test(request, connection_id: int):
    """Connect once through the policy and show what happened (audited as connection.test).
    An htmx request gets just the outcome fragment."""
    connection = get_connection_for(request, connection_id, Action.MANAGE_CONNECTIONS)
    outcome = test_connection(connection, request.user)
    if request.htmx:
        context = {"connection": connection, "outcome": outcome}
        return render(request, "studio/connection_test_outcome.html", context)
    return _detail(request, connection, outcome=outcome)


@requires(Action.MANAGE_CONNECTIONS)
@require_POST
def connection_learn(request, connection_id: int):
    """Queue a learn of the server and its databases (a Celery job; the page shows the
    result once it is done — live progress arrives with the jobs pages)."""
    connection = get_connection_for(request, connection_id, Action.MANAGE_CONNECTIONS)
    learn_connection_task.delay(connection.pk, request.user.pk)
    messages.info(
        request, f"Learning “{connection.name}” has started. Reload this page to see the result."
    )
    return redirect("connection_detail", connection_id=connection.pk)


def _detail(request, connection, outcome):
    context = {
        "connection": connection,
        "databases": connection.databases.all(),
        "outcome": outcome,
    }
    return render(request, "studio/connection_detail.html", context)

"""The Studio's pages on a workspace subdomain: dashboard, connections (list, add, edit,
delete, policies) and the connection page (server facts, capability matrix, the database
tree). The schema explorer's own pages are in apps/studio/explore/.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.connections import actions
from apps.connections.access import get_connection_for
from apps.connections.diagnose import test_connection
from apps.connections.forms import ConnectionForm, PolicyForm
from apps.studio.dashboard import dashboard_context
from apps.studio.explore import capabilities
from apps.studio.explore.views import database_nodes
from apps.workspaces.access import requires
from apps.workspaces.actions import ActionRefused
from apps.workspaces.permissions import Action


@requires(Action.VIEW)
def dashboard(request):
    context = dashboard_context(request.workspace, request.membership)
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
    """Queue a learn of the server and all its databases, or the chosen ones (ticked, or
    named in `more`, comma separated), as a run, and show its live page."""
    connection = get_connection_for(request, connection_id, Action.MANAGE_CONNECTIONS)
    chosen = request.POST.getlist("databases") + request.POST.get("more", "").split(",")
    try:
        run = actions.do_start_learn(connection, request.user, chosen)
    except ActionRefused as exc:
        messages.error(request, str(exc))
        return redirect("connection_detail", connection_id=connection.pk)
    names = run.params.get("databases")
    which = ", ".join(names) if names else "all databases"
    messages.info(request, f"Learning “{connection.name}” ({which}) has started.")
    return redirect("run_detail", run_id=run.pk)


def _detail(request, connection, outcome):
    data = connection.capability_json
    context = {
        "connection": connection,
        "nodes": database_nodes(connection),
        "outcome": outcome,
        "server_facts": capabilities.server_facts(data),
        "sections": capabilities.matrix(data),
        "handshake": capabilities.handshake(data),
    }
    return render(request, "studio/connection_detail.html", context)


# --- add, edit, delete -------------------------------------------------------------------


@requires(Action.MANAGE_CONNECTIONS)
def connection_create(request):
    """The password goes from the form straight to the action (and the secret store)."""
    workspace = request.workspace
    form = ConnectionForm(workspace, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            connection = actions.do_create_connection(
                workspace,
                request.user,
                data["name"],
                data["url"],
                password=data["password"] or None,
                policy=data["policy"],
                project=data["project"],
            )
        except ActionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Connection “{connection.name}” added.")
            return redirect("connection_detail", connection_id=connection.pk)
    return render(request, "studio/connection_form.html", {"form": form, "connection": None})


@requires(Action.MANAGE_CONNECTIONS)
def connection_edit(request, connection_id: int):
    connection = get_connection_for(request, connection_id, Action.MANAGE_CONNECTIONS)
    form = ConnectionForm(
        request.workspace,
        request.POST or None,
        initial=ConnectionForm.initial_for(connection),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_update_connection(
                connection,
                request.user,
                name=data["name"],
                url=data["url"],
                password=data["password"] or None,
                clear_password=data["clear_password"],
                policy=data["policy"] or connection.policy,
                project=data["project"],
            )
        except ActionRefused as exc:
            connection.refresh_from_db()
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Connection “{connection.name}” saved.")
            return redirect("connection_detail", connection_id=connection.pk)
    return render(request, "studio/connection_form.html", {"form": form, "connection": connection})


@requires(Action.MANAGE_CONNECTIONS)
def connection_delete(request, connection_id: int):
    """GET asks for confirmation (naming what goes with it); POST deletes."""
    connection = get_connection_for(request, connection_id, Action.MANAGE_CONNECTIONS)
    if request.method == "POST":
        name = connection.name
        try:
            actions.do_delete_connection(connection, request.user)
        except ActionRefused as exc:
            messages.error(request, str(exc))
            return redirect("connection_detail", connection_id=connection_id)
        messages.success(request, f"Connection “{name}” deleted.")
        return redirect("connections")
    context = {"connection": connection, "database_count": connection.databases.count()}
    return render(request, "studio/connection_delete.html", context)


# --- policies ------------------------------------------------------------------------------


@requires(Action.MANAGE_CONNECTIONS)
def policies(request):
    """The workspace's policies beside one form: a new policy, or `?policy=<id>` to edit."""
    workspace = request.workspace
    chosen = request.POST.get("policy") or request.GET.get("policy")
    policy = (
        get_object_or_404(workspace.connection_policies, pk=chosen)
        if chosen and str(chosen).isdigit()
        else None
    )
    initial = PolicyForm.initial_for(policy) if policy else None
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.do_save_policy(
                workspace,
                request.user,
                form.cleaned_data["name"],
                policy=policy,
                **form.settings(),
            )
        except ActionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Policy “{saved.name}” saved.")
            return redirect(f"{request.path}?policy={saved.pk}")
    items = workspace.connection_policies.all()
    context = {"policies": items, "policy": policy, "form": form}
    return render(request, "studio/policies.html", context)

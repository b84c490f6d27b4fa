"""A database's snapshots: its schema history, a labelled snapshot taken on request, each
snapshot as the JSON file `sqlx plan:diff --from/--to` reads, and a plan towards it.

A learn adds a row only when the schema changed, so the list is the history of changes;
"Take snapshot" learns the database now and keeps the result under a label of its own.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.connections import snapshots
from apps.connections.access import get_connection_for
from apps.connections.actions import do_start_snapshot
from apps.connections.models import Snapshot
from apps.studio.explore.views import url_for
from apps.workspaces.access import requires
from apps.workspaces.actions import ActionRefused
from apps.workspaces.permissions import Action, can

PAGE_SIZE = 50


def _database(request, connection_id: int, action: Action):
    connection = get_connection_for(request, connection_id, action)
    name = request.GET.get("db") or request.POST.get("db", "")
    return connection, connection.databases.filter(name=name).first() if name else None


@requires(Action.VIEW)
def snapshot_list(request, connection_id: int):
    if not request.GET.get("db"):  # which database? the tree lists them
        connection = get_connection_for(request, connection_id, Action.VIEW)
        return redirect(url_for("explore_tree", connection))
    connection, database = _database(request, connection_id, Action.VIEW)
    if database is None:
        raise Http404("No such database on this connection.")
    page = Paginator(snapshots.history(database), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "connection": connection,
        "db": database,
        "page": page,
        "can_take": can(request.membership.role, Action.PLAN),
    }
    return render(request, "studio/explore/snapshots.html", context)


@requires(Action.PLAN)
@require_POST
def snapshot_take(request, connection_id: int):
    """Learn the database now and keep a labelled snapshot (a job: its page shows it)."""
    connection, database = _database(request, connection_id, Action.PLAN)
    if database is None:
        messages.error(request, "Choose a learned database of this connection.")
        return redirect(url_for("explore_tree", connection))
    try:
        run = do_start_snapshot(database, request.user, request.POST.get("label", ""))
    except ActionRefused as exc:
        messages.error(request, str(exc))
        return redirect(url_for("explore_snapshots", connection, db=database.name))
    messages.info(request, f"Taking a snapshot of {database.name}.")
    return redirect("run_detail", run_id=run.pk)


@requires(Action.VIEW)
def snapshot_download(request, snapshot_id: int):
    """The snapshot file, byte for byte what the engine wrote (its hash re-checks). Any
    snapshot of the workspace: a database's, or one computed for a plan."""
    found = Snapshot.objects.filter(pk=snapshot_id, workspace=request.workspace)
    text = found.values_list("profile_json", flat=True).first()
    if text is None:
        raise Http404("No such snapshot.")
    response = HttpResponse(text, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="snapshot-{snapshot_id}.json"'
    return response


def history_url(connection, database) -> str:
    return url_for("explore_snapshots", connection, db=database.name)

"""Snapshots: each database's schema history, one snapshot's file, and taking one now.

A snapshot's document is the exact text `engine.ir.dumps` wrote, served as stored, so
`sqlx plan:diff --from snapshot.json` reads it and its `profile_hash` re-checks. Taking a
snapshot connects to the server, so it is a run (202). Reading needs VIEW; taking one
needs PLAN, as on the pages.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from apps.api.access import require_api
from apps.api.fields import ObjectId
from apps.api.pagination import Page, PageQuery, cursor_page
from apps.api.routers.runs import accepted
from apps.api.schemas_conn import RunStarted
from apps.api.schemas_plans import SnapshotFilters, SnapshotIn, SnapshotOut
from apps.connections.actions import do_start_snapshot
from apps.connections.models import DatabaseSchema, Snapshot
from apps.workspaces.permissions import Action

router = Router(tags=["snapshots"])


def _snapshots(request):
    return (
        Snapshot.objects.filter(workspace=request.workspace)
        .defer("profile_json")
        .select_related("database", "created_by")
    )


def database_for(request, database_id: int, field: str = "database_id") -> DatabaseSchema:
    """A learned database of this workspace, or a 400 naming the field."""
    from apps.api.errors import ApiError

    found = DatabaseSchema.objects.select_related("connection").filter(
        pk=database_id, connection__workspace=request.workspace
    )
    database = found.first()
    if database is None:
        raise ApiError(400, "invalid", f"There is no database {database_id} here.", field=field)
    return database


@router.get(
    "",
    response=Page[SnapshotOut],
    operation_id="snapshots_list",
    summary="List snapshots, newest first (a database's history with database_id)",
)
def list_snapshots(request, filters: Query[SnapshotFilters], page: Query[PageQuery]):
    require_api(request, Action.VIEW)
    found = _snapshots(request)
    if filters.database_id is not None:
        found = found.filter(database_id=filters.database_id)
    if filters.connection_id is not None:
        found = found.filter(database__connection_id=filters.connection_id)
    if filters.origin:
        found = found.filter(origin=filters.origin)
    return cursor_page(found, cursor=page.cursor, limit=page.limit, order="-id")


@router.post(
    "",
    response={202: RunStarted},
    operation_id="snapshots_take",
    summary="Learn a database now and keep a labelled snapshot of it (a run)",
)
def take_snapshot(request, payload: SnapshotIn, response: HttpResponse):
    require_api(request, Action.PLAN)
    database = database_for(request, payload.database_id)
    return accepted(response, do_start_snapshot(database, request.user, payload.label))


@router.get(
    "/{snapshot_id}",
    response=SnapshotOut,
    operation_id="snapshots_get",
    summary="Read a snapshot's facts (hash, origin, label, size)",
)
def get_snapshot(request, snapshot_id: ObjectId):
    require_api(request, Action.VIEW)
    return get_object_or_404(_snapshots(request), pk=snapshot_id)


@router.get(
    "/{snapshot_id}/document",
    url_name="snapshots_document",
    operation_id="snapshots_document",
    summary="The snapshot JSON exactly as stored (docs/snapshot.md)",
    response={200: dict},
)
def snapshot_document(request, snapshot_id: ObjectId):
    require_api(request, Action.VIEW)
    found = Snapshot.objects.filter(workspace=request.workspace, pk=snapshot_id)
    text = get_object_or_404(found.values_list("profile_json", flat=True))
    return HttpResponse(text, content_type="application/json")

"""Runs: the state, progress and log of long work, for scripts that started it and poll.

Like the jobs pages, every read first closes runs whose worker stopped (reap_stale_runs),
so a poller never waits for ever on a dead job. `accepted` is the one way an endpoint that
starts a run answers: 202, the run, its URL in the body and in Location.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from apps.api.access import require_api
from apps.api.errors import ApiError, Conflict
from apps.api.fields import ObjectId
from apps.api.pagination import Page, PageQuery, cursor_page
from apps.api.schemas_conn import RunFilters, RunLogOut, RunOut, Seq
from apps.jobs.access import get_run_for, may_cancel
from apps.jobs.actions import do_cancel_run, reap_stale_runs
from apps.jobs.models import Run
from apps.workspaces.permissions import Action

router = Router(tags=["runs"])


def run_url(run: Run) -> str:
    return reverse("api-v1:runs_get", kwargs={"run_id": run.pk})


def accepted(response: HttpResponse, run: Run) -> Status:
    """The 202 answer for a started run (declare `response={202: RunStarted}`)."""
    url = run_url(run)
    response["Location"] = url
    return Status(202, {"run": run, "url": url})


@router.get("", response=Page[RunOut], operation_id="runs_list", summary="List runs, newest first")
def list_runs(request, filters: Query[RunFilters], page: Query[PageQuery]):
    require_api(request, Action.VIEW)
    reap_stale_runs(request.workspace)
    found = Run.objects.filter(workspace=request.workspace).select_related("created_by")
    if filters.state:
        found = found.filter(state=filters.state)
    if filters.kind:
        found = found.filter(kind=filters.kind)
    return cursor_page(found, cursor=page.cursor, limit=page.limit, order="-id")


@router.get(
    "/{run_id}",
    response=RunOut,
    url_name="runs_get",
    operation_id="runs_get",
    summary="Read a run: state, percent, step, result or error",
)
def get_run(request, run_id: ObjectId):
    require_api(request, Action.VIEW)
    reap_stale_runs(request.workspace)
    return get_run_for(request, run_id, Action.VIEW)


@router.get(
    "/{run_id}/logs",
    response=Page[RunLogOut],
    operation_id="runs_logs",
    summary="A run's log lines in order; `after` = the last seq already read",
)
def run_logs(request, run_id: ObjectId, page: Query[PageQuery], after: Seq | None = None):
    require_api(request, Action.VIEW)
    run = get_run_for(request, run_id, Action.VIEW)
    lines = run.logs.all()
    if after is not None:
        lines = lines.filter(seq__gt=after)
    return cursor_page(lines, cursor=page.cursor, limit=page.limit, order="seq")


@router.post(
    "/{run_id}/cancel",
    response=RunOut,
    operation_id="runs_cancel",
    summary="Cancel an open run (it stops after the step it is running)",
)
def cancel_run(request, run_id: ObjectId):
    """The starter may always cancel; others need the action that starts the run's kind
    (apps.jobs.access.may_cancel, the rule the run page's button follows)."""
    require_api(request, Action.VIEW)
    run = get_run_for(request, run_id, Action.VIEW)
    if not run.is_open:
        raise Conflict("run_finished", f"Run {run.pk} has already finished ({run.state}).")
    role = request.membership.role
    if not may_cancel(run, request.user, role):
        message = f"Your role ({request.membership.get_role_display()}) cannot cancel this run."
        raise ApiError(403, "forbidden", message)
    return do_cancel_run(run, request.user, role)

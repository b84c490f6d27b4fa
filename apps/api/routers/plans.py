"""Plans: create one from a source, read it with its operations and lint, comment, approve,
apply and roll back — the plans pages' actions, scriptable.

Computing, applying and rolling back connect to servers, so they are runs (202, poll
/runs/{id}). States that forbid an action answer 409 with a code a script can branch on:
`plan_state`, `approval_required`, `already_approved`, `not_computed` (raised by the plans
actions, the same refusals the pages show) and `drifted` (the target no longer matches the
plan's source: checked here before the apply is queued, and again by the engine in the
job). Hazards not accepted are a 400 naming `accept_hazards`.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from ninja import Query, Router, Status

from apps.api.access import require_api
from apps.api.errors import ApiError, Conflict
from apps.api.fields import ObjectId
from apps.api.pagination import Page, PageQuery, cursor_page
from apps.api.routers.runs import run_url
from apps.api.routers.snapshots import database_for
from apps.api.schemas_plans import (
    ApplyIn,
    ApprovalOut,
    ApproveIn,
    CommentIn,
    CommentOut,
    ExecutionOut,
    ExecutionStarted,
    PlanFilters,
    PlanIn,
    PlanOut,
    PlanStarted,
    PlanSummaryOut,
    RollbackIn,
)
from apps.connections.models import Snapshot
from apps.plans import actions
from apps.plans.access import get_plan_for
from apps.plans.execution import drift_message
from apps.plans.models import Plan, PlanExecution
from apps.secrets.errors import SecretUnavailable
from apps.workspaces.actions import ActionRefused
from apps.workspaces.permissions import Action
from engine import errors
from engine.cli_plan import parse_renames

router = Router(tags=["plans"])


def _plan(request, plan_id: int, action: Action) -> Plan:
    require_api(request, action)
    return get_plan_for(request, plan_id, action)


def _source_fields(request, payload: PlanIn) -> dict:
    """`do_create_plan`'s source keyword arguments, each reference checked in this workspace."""
    source = payload.source
    needed = {"live": "database_id", "snapshot": "snapshot_id", "sql": "sql"}[source.kind]
    if getattr(source, needed) in (None, ""):
        raise ApiError(
            400, "invalid", f"A {source.kind} source needs {needed}.", field=f"source.{needed}"
        )
    if source.kind == "live":
        live = database_for(request, source.database_id, field="source.database_id")
        return {"source_connection": live.connection, "source_database": live.name}
    if source.kind == "snapshot":
        found = Snapshot.objects.filter(workspace=request.workspace, pk=source.snapshot_id)
        snapshot = found.defer("profile_json").select_related("database__connection").first()
        if snapshot is None:
            message = f"There is no snapshot {source.snapshot_id} here."
            raise ApiError(400, "invalid", message, field="source.snapshot_id")
        return {"source_snapshot": snapshot}
    return {"desired_sql": source.sql}


@router.get(
    "", response=Page[PlanSummaryOut], operation_id="plans_list", summary="List plans, newest first"
)
def list_plans(request, filters: Query[PlanFilters], page: Query[PageQuery]):
    require_api(request, Action.VIEW)
    found = Plan.objects.filter(workspace=request.workspace).select_related("created_by")
    if filters.state:
        found = found.filter(state=filters.state)
    if filters.connection_id is not None:
        found = found.filter(connection_id=filters.connection_id)
    return cursor_page(found, cursor=page.cursor, limit=page.limit, order="-id")


@router.post(
    "",
    response={202: PlanStarted},
    operation_id="plans_create",
    summary="Plan a change of a learned database (computed by a run)",
)
def create_plan(request, payload: PlanIn, response: HttpResponse):
    require_api(request, Action.PLAN)
    target = database_for(request, payload.target_database_id, field="target_database_id")
    try:
        parse_renames(payload.renames)
    except errors.ConfigError as exc:
        raise ApiError(400, "invalid", str(exc), field="renames") from None
    plan = actions.do_create_plan(
        request.workspace,
        request.user,
        connection=target.connection,
        database=target.name,
        title=payload.title,
        source_kind=payload.source.kind,
        renames="\n".join(payload.renames),
        **_source_fields(request, payload),
    )
    plan = _plan(request, plan.pk, Action.VIEW)
    url = run_url(plan.planning_run)
    response["Location"] = url
    return Status(202, {"plan": plan, "run": plan.planning_run, "url": url})


@router.get("/{plan_id}", response=PlanOut, operation_id="plans_get", summary="Read a plan")
def get_plan(request, plan_id: ObjectId):
    plan = _plan(request, plan_id, Action.VIEW)
    if plan.state in actions.BUSY:
        plan = actions.do_reconcile(plan)  # a dead worker's plan is closed first, as on the page
    return plan


@router.get(
    "/{plan_id}/document",
    url_name="plans_document",
    operation_id="plans_document",
    summary="The engine's plan file, for `sqlx lint` / `sqlx apply --plan`",
    response={200: dict},
)
def plan_document(request, plan_id: ObjectId):
    plan = _plan(request, plan_id, Action.VIEW)
    if not plan.plan_json:
        raise Conflict("not_computed", "This plan has not been computed (see its state).")
    return HttpResponse(json.dumps(plan.plan_json, sort_keys=True), content_type="application/json")


@router.get(
    "/{plan_id}/comments",
    response=list[CommentOut],
    operation_id="plans_comments",
    summary="A plan's comments, oldest first",
)
def list_comments(request, plan_id: ObjectId):
    plan = _plan(request, plan_id, Action.VIEW)
    return list(plan.comments.select_related("author"))


@router.post(
    "/{plan_id}/comments",
    response={201: CommentOut},
    operation_id="plans_comment",
    summary="Comment on a plan",
)
def add_comment(request, plan_id: ObjectId, payload: CommentIn):
    plan = _plan(request, plan_id, Action.PLAN)
    return Status(201, actions.do_comment(plan, request.user, payload.body))


@router.post(
    "/{plan_id}/approve",
    response={201: ApprovalOut},
    operation_id="plans_approve",
    summary="Approve a plan (binds to its hashes)",
)
def approve_plan(request, plan_id: ObjectId, payload: ApproveIn | None = None):
    plan = _plan(request, plan_id, Action.APPROVE)
    note = payload.note if payload else ""
    return Status(201, actions.do_approve(plan, request.user, note))


@router.get(
    "/{plan_id}/executions",
    response=list[ExecutionOut],
    operation_id="plans_executions",
    summary="A plan's applies and rollbacks, newest first",
)
def list_executions(request, plan_id: ObjectId):
    plan = _plan(request, plan_id, Action.VIEW)
    return list(plan.executions.select_related("requested_by"))


def _started(response: HttpResponse, execution: PlanExecution) -> Status:
    url = run_url(execution.run)
    response["Location"] = url
    return Status(202, {"execution": execution, "run": execution.run, "url": url})


def _check_drift(plan: Plan, user) -> None:
    try:
        drifted = drift_message(plan, user)
    except (ActionRefused, SecretUnavailable, errors.EngineError) as exc:
        message = f"The target could not be checked for drift: {exc}"
        raise Conflict("drift_check_failed", " ".join(message.split())) from None
    if drifted:
        raise Conflict("drifted", drifted)


@router.post(
    "/{plan_id}/apply",
    response={202: ExecutionStarted},
    operation_id="plans_apply",
    summary="Apply a plan (a run); hazards must be accepted by name",
)
def apply_plan(request, plan_id: ObjectId, payload: ApplyIn, response: HttpResponse):
    plan = _plan(request, plan_id, Action.APPLY)
    missing = [h for h in plan.hazards if h != "DATA_LOSS" and h not in payload.accept_hazards]
    if missing:
        raise ApiError(
            400,
            "hazards_not_accepted",
            f"Accept every hazard of the plan first (not accepted: {', '.join(missing)}).",
            field="accept_hazards",
        )
    if plan.destructive and not payload.allow_destructive:
        raise ApiError(
            400,
            "destructive",
            "The plan drops data: send allow_destructive: true to apply it.",
            field="allow_destructive",
        )
    never_tried = plan.state in (Plan.State.DRAFT, Plan.State.APPROVED) and plan.plan_json
    if payload.check_drift and never_tried:  # after a failed apply the engine's journal decides
        _check_drift(plan, request.user)
    # do_apply refuses (409 with its code) a plan in the wrong state, not computed, or
    # awaiting an approval
    execution = actions.do_apply(
        plan,
        request.user,
        accept_hazards=payload.accept_hazards,
        allow_destructive=payload.allow_destructive,
    )
    return _started(response, execution)


@router.post(
    "/{plan_id}/rollback",
    response={202: ExecutionStarted},
    operation_id="plans_rollback",
    summary="Roll back what the journal says was applied (a run)",
)
def rollback_plan(
    request, plan_id: ObjectId, response: HttpResponse, payload: RollbackIn | None = None
):
    plan = _plan(request, plan_id, Action.APPLY)
    allow = payload.allow_destructive if payload else False
    return _started(response, actions.do_rollback(plan, request.user, allow_destructive=allow))

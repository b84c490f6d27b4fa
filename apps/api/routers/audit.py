"""The audit timeline and its chain verification: admins and owners only (MANAGE_MEMBERS),
as the audit page, because events name every member's actions.

Events page by `seq` (newest first), which only grows, so a cursor stays valid while new
events are appended.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from apps.api.access import require_api
from apps.api.errors import ApiError
from apps.api.fields import BIGINT, Instant, text
from apps.api.pagination import Page, PageQuery, cursor_page
from apps.audit.models import AuditEvent
from apps.audit.verify import verify_chain
from apps.workspaces.permissions import Action

router = Router(tags=["audit"])


class EventOut(Schema):
    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str
    target: str
    outcome: str
    details: dict[str, Any]
    hash: str
    prev_hash: str


class EventFilters(Schema):
    action: text(64) | None = Field(None, description="exact action name, e.g. member.invite")
    actor: int | None = Field(None, ge=1, le=BIGINT, description="the acting user's id")
    target_type: text(100) | None = Field(None, description="e.g. workspaces.Project")
    since: Instant | None = Field(None, description="events at or after this instant")
    until: Instant | None = Field(None, description="events before this instant")


class BrokenOut(Schema):
    seq: int
    event_id: int | None
    problem: str


class VerifyOut(Schema):
    ok: bool
    count: int
    last_seq: int
    last_hash: str
    broken: BrokenOut | None
    message: str


def event_out(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "actor": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target": event.target_label,
        "outcome": event.outcome,
        "details": event.details,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }


@router.get(
    "/events",
    response=Page[EventOut],
    operation_id="audit_events_list",
    summary="Audit events, newest first (filter by action, actor, target type, time)",
)
def audit_events_list(request, filters: Query[EventFilters], page: Query[PageQuery]):
    require_api(request, Action.MANAGE_MEMBERS)
    if filters.since and filters.until and filters.since >= filters.until:
        raise ApiError(400, "invalid", "`since` must be before `until`.", field="since")
    found = AuditEvent.objects.filter(workspace=request.workspace)
    lookups = {
        "action": filters.action,
        "actor_id": filters.actor,
        "target_type": filters.target_type,
        "occurred_at__gte": filters.since,
        "occurred_at__lt": filters.until,
    }
    found = found.filter(**{k: v for k, v in lookups.items() if v is not None})
    result = cursor_page(found, cursor=page.cursor, limit=page.limit, order="-seq")
    return {"items": [event_out(e) for e in result["items"]], "next": result["next"]}


@router.post(
    "/verify",
    response=VerifyOut,
    operation_id="audit_verify",
    summary="Recompute the workspace's hash chain and name the first broken event",
)
def audit_verify(request):
    require_api(request, Action.MANAGE_MEMBERS)
    result = verify_chain(request.workspace)
    broken = result.broken
    return {
        "ok": result.ok,
        "count": result.count,
        "last_seq": result.last_seq,
        "last_hash": result.last_hash,
        "broken": (
            {"seq": broken.seq, "event_id": broken.event_id, "problem": broken.problem}
            if broken
            else None
        ),
        "message": result.message,
    }

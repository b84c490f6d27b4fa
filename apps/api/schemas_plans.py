"""Schemas of the plans and snapshots endpoints.

A plan's operations and lint findings go out exactly as the engine wrote them in the plan
document (`engine.planner.serial`, documented in docs/plan.md), so a script reads the same
fields as `sqlx plan:diff --json`; the API adds the review and execution state around them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from apps.api.fields import ObjectId, Text, text
from apps.api.schemas_conn import RunOut
from apps.connections.models import Snapshot
from apps.plans.models import Plan, PlanApproval, PlanComment, PlanExecution

PlanState = Literal[
    "planning", "draft", "approved", "applying", "applied", "failed", "rolling_back", "rolled_back"
]
Hazard = text(40, min_length=1)


class _Input(Schema):
    model_config = ConfigDict(extra="forbid")


def _email(user) -> str | None:
    return user.email if user is not None else None


# --- snapshots ------------------------------------------------------------------------------


class SnapshotOut(Schema):
    id: int
    connection_id: int | None
    database_id: int | None
    database: str | None = Field(None, description="the database's name, if learned from one")
    origin: Literal["learn", "manual", "plan"]
    label: str
    profile_hash: str
    size: int = Field(..., description="length of the snapshot JSON in characters")
    created_by: str | None
    created_at: datetime
    document_url: str = Field(..., description="the snapshot JSON, byte for byte")

    @staticmethod
    def resolve_connection_id(obj: Snapshot) -> int | None:
        return obj.database.connection_id if obj.database_id else None

    @staticmethod
    def resolve_database(obj: Snapshot) -> str | None:
        return obj.database.name if obj.database_id else None

    @staticmethod
    def resolve_created_by(obj: Snapshot) -> str | None:
        return _email(obj.created_by)

    @staticmethod
    def resolve_document_url(obj: Snapshot) -> str:
        from django.urls import reverse

        return reverse("api-v1:snapshots_document", kwargs={"snapshot_id": obj.pk})


class SnapshotFilters(Schema):
    database_id: ObjectId | None = Field(None, description="one database's history")
    connection_id: ObjectId | None = None
    origin: Literal["learn", "manual", "plan"] | None = None


class SnapshotIn(_Input):
    database_id: ObjectId = Field(
        ..., description="a learned database (GET /connections/{id}/databases)"
    )
    label: text(200) = ""


# --- plans ----------------------------------------------------------------------------------


class PlanSourceIn(_Input):
    """Where the desired schema comes from (the plan starts from the target as it is now)."""

    kind: Literal["live", "snapshot", "sql"]
    database_id: ObjectId | None = Field(None, description="kind live: another learned database")
    snapshot_id: ObjectId | None = Field(None, description="kind snapshot: a stored snapshot")
    sql: Text | None = Field(
        None,
        max_length=2 * 1024 * 1024,
        description="kind sql: the whole schema as CREATE statements",
    )


class PlanIn(_Input):
    title: text(200, min_length=1)
    target_database_id: ObjectId = Field(..., description="the learned database the plan changes")
    source: PlanSourceIn
    renames: list[text(400, min_length=1)] = Field(
        default_factory=list,
        max_length=200,
        description="declared renames: table:old=new, view:old=new, index:old=new, "
        "column:table.old=new, constraint:table.old=new",
    )


class ApprovalOut(Schema):
    id: int
    approved_by: str | None
    note: str
    source_hash: str
    target_hash: str
    created_at: datetime

    @staticmethod
    def resolve_approved_by(obj: PlanApproval) -> str | None:
        return _email(obj.approved_by)


class CommentOut(Schema):
    id: int
    author: str | None
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: PlanComment) -> str | None:
        return _email(obj.author)


class CommentIn(_Input):
    body: text(10_000, min_length=1)


class ApproveIn(_Input):
    note: text(2_000) = ""


class ExecutionOut(Schema):
    id: int
    kind: Literal["apply", "rollback"]
    outcome: str
    message: str
    accepted_hazards: list[str]
    allow_destructive: bool
    run_id: int | None
    requested_by: str | None
    created_at: datetime
    finished_at: datetime | None
    report: dict[str, Any] = Field(..., description="the engine's apply/rollback report")

    @staticmethod
    def resolve_requested_by(obj: PlanExecution) -> str | None:
        return _email(obj.requested_by)


class PlanSummaryOut(Schema):
    id: int
    title: str
    state: PlanState
    connection_id: int
    database: str
    source_kind: Literal["live", "snapshot", "sql"]
    source_label: str
    online: bool = Field(..., description="online strategies were allowed (online_apply)")
    operation_count: int
    hazards: list[str]
    error: str
    planning_run_id: int | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_operation_count(obj: Plan) -> int:
        return len(obj.operations)

    @staticmethod
    def resolve_created_by(obj: Plan) -> str | None:
        return _email(obj.created_by)


class PlanOut(PlanSummaryOut):
    source_hash: str
    target_hash: str
    before_snapshot_id: int | None
    after_snapshot_id: int | None
    source_snapshot_id: int | None
    destructive: bool
    approved: bool
    approvals_required: bool
    approvals: list[ApprovalOut]
    operations: list[dict[str, Any]] = Field(
        ..., description="the plan document's operations, in the order they run (docs/plan.md)"
    )
    findings: list[dict[str, Any]] = Field(..., description="lint findings (docs/lint.md)")
    document_url: str

    @staticmethod
    def resolve_source_hash(obj: Plan) -> str:
        return obj.plan_json.get("source_hash", "") if obj.plan_json else ""

    @staticmethod
    def resolve_target_hash(obj: Plan) -> str:
        return obj.plan_json.get("target_hash", "") if obj.plan_json else ""

    @staticmethod
    def resolve_before_snapshot_id(obj: Plan) -> int | None:
        return obj.before_id

    @staticmethod
    def resolve_after_snapshot_id(obj: Plan) -> int | None:
        return obj.after_id

    @staticmethod
    def resolve_approved(obj: Plan) -> bool:
        from apps.plans.actions import is_approved

        return is_approved(obj)

    @staticmethod
    def resolve_approvals_required(obj: Plan) -> bool:
        from apps.plans.actions import approvals_required

        return approvals_required(obj.workspace)

    @staticmethod
    def resolve_approvals(obj: Plan) -> list:
        return list(obj.approvals.select_related("approved_by"))

    @staticmethod
    def resolve_operations(obj: Plan) -> list:
        return obj.operations

    @staticmethod
    def resolve_findings(obj: Plan) -> list:
        return obj.plan_json.get("findings", []) if obj.plan_json else []

    @staticmethod
    def resolve_document_url(obj: Plan) -> str:
        from django.urls import reverse

        return reverse("api-v1:plans_document", kwargs={"plan_id": obj.pk})


class PlanFilters(Schema):
    state: PlanState | None = None
    connection_id: ObjectId | None = None


class PlanStarted(Schema):
    """A plan being computed (202): poll the run, then read the plan."""

    plan: PlanOut
    run: RunOut
    url: str = Field(..., description="the planning run")


class ApplyIn(_Input):
    accept_hazards: list[Hazard] = Field(
        default_factory=list,
        max_length=50,
        description="every hazard of the plan (GET /plans/{id}: hazards) except DATA_LOSS",
    )
    allow_destructive: bool = Field(False, description="required when the plan drops data")
    check_drift: bool = Field(
        True,
        description="compare the target with the plan's source before queueing (409 drifted); "
        "the apply job checks again either way",
    )


class RollbackIn(_Input):
    allow_destructive: bool = Field(
        False, description="undo the rest when irreversible operations were applied"
    )


class ExecutionStarted(Schema):
    execution: ExecutionOut
    run: RunOut
    url: str = Field(..., description="the run to poll")

"""Change plans: what the engine planned for a database, who reviewed it, what ran.

A `Plan` keeps the engine's plan document (`engine.planner.serial.to_json`) exactly as
computed, plus the two schema snapshots it was computed between, so the page can show a
before/after DDL diff and apply can name drift in detail without reconnecting to the
source. Nothing here holds a secret: sources are named by connection and database,
desired-state SQL is DDL the member typed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Plan(models.Model):
    class Source(models.TextChoices):
        LIVE = "live", "Another live database"
        SNAPSHOT = "snapshot", "A stored snapshot"
        SQL = "sql", "Desired-state SQL"

    class State(models.TextChoices):
        PLANNING = "planning", "Planning"
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        APPLYING = "applying", "Applying"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"
        ROLLING_BACK = "rolling_back", "Rolling back"
        ROLLED_BACK = "rolled_back", "Rolled back"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="plans"
    )
    project = models.ForeignKey(
        "workspaces.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="plans"
    )
    database = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    source_kind = models.CharField(max_length=20, choices=Source.choices)
    source_label = models.CharField(max_length=500, blank=True)
    source_connection = models.ForeignKey(
        "connections.Connection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_database = models.CharField(max_length=200, blank=True)
    source_snapshot = models.ForeignKey(
        "connections.Snapshot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    desired_sql = models.TextField(blank=True)
    renames = models.TextField(blank=True, help_text="declared renames, one per line")
    plan_json = models.JSONField(default=dict, blank=True)
    before = models.ForeignKey(
        "connections.Snapshot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the target's schema the plan was computed from",
    )
    after = models.ForeignKey(
        "connections.Snapshot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the schema the plan leads to, in the target's dialect",
    )
    online = models.BooleanField(
        default=False, help_text="online strategies were allowed (online_apply entitlement)"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.PLANNING)
    planning_run = models.ForeignKey(
        "jobs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def operations(self) -> list[dict]:
        return self.plan_json.get("operations", []) if self.plan_json else []

    @property
    def hazards(self) -> list[str]:
        """Every hazard of the plan, once each, in first-seen order (what apply asks for)."""
        seen: dict[str, None] = {}
        for op in self.operations:
            seen.update(dict.fromkeys(op.get("hazards", ())))
        return list(seen)

    @property
    def destructive(self) -> bool:
        return "DATA_LOSS" in self.hazards

    def engine_plan(self):
        """The stored document as an engine Plan (validated on the way in)."""
        from engine.planner import serial

        return serial.from_json(self.plan_json, where=f"plan #{self.pk}")


class PlanComment(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment #{self.pk} on plan {self.plan_id}"


class PlanApproval(models.Model):
    """One approval of one plan document: approving binds to the plan's hashes, so an
    approval cannot carry over to a plan that was computed again differently."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="approvals")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_hash = models.CharField(max_length=100)
    target_hash = models.CharField(max_length=100)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "approved_by"], name="one_approval_per_user")
        ]

    def __str__(self) -> str:
        return f"approval of plan {self.plan_id} by {self.approved_by_id}"


class PlanExecution(models.Model):
    """One apply or rollback of a plan: the history the plan page lists."""

    class Kind(models.TextChoices):
        APPLY = "apply", "Apply"
        ROLLBACK = "rollback", "Rollback"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        APPLIED = "applied", "Applied"
        ROLLED_BACK = "rolled_back", "Rolled back"
        NOOP = "noop", "Nothing to do"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="executions")
    run = models.ForeignKey(
        "jobs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    #: the plan's state before this execution: where a refusal puts it back
    prior_state = models.CharField(max_length=20, blank=True)
    accepted_hazards = models.JSONField(default=list, blank=True)
    allow_destructive = models.BooleanField(default=False)
    report = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} of plan {self.plan_id} ({self.outcome})"

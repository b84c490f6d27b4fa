"""The audit timeline: append-only events, hash-chained per workspace (null = platform).

Nothing here updates or deletes an event: `save()` refuses an existing row and the
queryset refuses `update()`/`delete()`. On PostgreSQL a trigger (migration 0002) refuses
UPDATE and DELETE from anyone else too; editing around both still shows in `verify_chain`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class AppendOnly(Exception):
    """Raised when code tries to change or remove an audit event."""


_REFUSAL = "Audit events are append-only: they cannot be changed or deleted."


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly(_REFUSAL)

    def delete(self):
        raise AppendOnly(_REFUSAL)

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly(_REFUSAL)

    def update_or_create(self, *args, **kwargs):
        raise AppendOnly(_REFUSAL)

    def _raw_delete(self, using):
        raise AppendOnly(_REFUSAL)


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(
        "workspaces.Workspace",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    seq = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    # A plain integer, not a foreign key: events outlive users, and SET NULL would be an UPDATE.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "seq"], name="audit_seq_per_workspace"),
            models.UniqueConstraint(
                fields=["seq"], condition=Q(workspace__isnull=True), name="audit_seq_platform"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "occurred_at"], name="audit_ws_time"),
            models.Index(fields=["workspace", "action", "seq"], name="audit_ws_action"),
            models.Index(fields=["workspace", "actor_id", "seq"], name="audit_ws_actor"),
        ]
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label or 'system'} ({self.outcome})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly(_REFUSAL)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(_REFUSAL)


class ChainHead(models.Model):
    """The last seq and hash of one chain; its row lock is what serializes appenders."""

    key = models.CharField(max_length=40, unique=True)  # apps.audit.canonical.chain_key
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.key} at #{self.last_seq}"

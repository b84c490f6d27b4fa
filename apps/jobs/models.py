"""Run records: what a Celery job is doing, for the pages and the websocket stream.

A `Run` is created by `apps.jobs.actions.do_start_run` before its task is sent, so a page
can show it at once; the task then reports through `apps.jobs.progress.reporting`, which
owns every later change of state. `LayerMessage` and `LayerGroup` are the tables of the
database-backed channel layer (nublox/channel_layer.py) used when there is no Redis.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Run(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    #: States a task may still (re)enter: a retried delivery of a running run resumes it.
    OPEN = (State.QUEUED, State.RUNNING)

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="runs"
    )
    kind = models.CharField(max_length=40)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=300, blank=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    marks = models.JSONField(
        default=dict, blank=True, help_text="status of the parts of the work, e.g. per operation"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"]),
            models.Index(fields=["state", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        label = f" {self.target_label}" if self.target_label else ""
        return f"{self.kind}{label} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN

    @property
    def group(self) -> str:
        return group_name(self.pk)


def group_name(run_id: int) -> str:
    """The channel-layer group a run's progress is published to."""
    return f"run-{run_id}"


class RunLog(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="logs")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    line = models.TextField()

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="runlog_run_seq")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.seq} {self.line[:60]}"


class LayerMessage(models.Model):
    """One message waiting in a channel of the database channel layer."""

    channel = models.CharField(max_length=200, db_index=True)
    body = models.TextField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"message {self.pk} for {self.channel}"


class LayerGroup(models.Model):
    """A channel's membership of a group in the database channel layer."""

    group = models.CharField(max_length=200)
    channel = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "channel"], name="layergroup_group_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel} in {self.group}"

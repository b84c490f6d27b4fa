"""Database connections of a workspace.

This is the first cut (issue #2: the demo workspace registers its bundled SQLite file).
Issue #6 adds the SecretRef, the ConnectionPolicy and the DatabaseSchema children. The URL
stored here never carries a password: `apps.connections.actions` refuses one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Connection(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "Not learned yet"
        OK = "ok", "Healthy"
        FAILING = "failing", "Failing"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="connections"
    )
    project = models.ForeignKey(
        "workspaces.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="connections",
    )
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=500, help_text="Connection URL without password")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    last_learned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_connection_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def family(self) -> str:
        return self.url.split(":", 1)[0]

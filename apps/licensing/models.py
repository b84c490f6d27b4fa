"""Installed license tokens, kept as history: revoking marks a row, nothing is deleted.

The token text is stored as is (a license is not a credential: it grants nothing without
the workspace it names). The plan, seats and dates are copies for lists and staff pages;
what a workspace may do is always decided by verifying `token` again (entitlements.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.licensing.tokens import PLANS
from apps.workspaces.models import Workspace


class LicenseQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class License(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="licenses")
    token = models.TextField()
    jti = models.CharField("token id", max_length=64)
    plan = models.CharField(max_length=20, choices=[(p, p.title()) for p in PLANS])
    seats = models.PositiveIntegerField()
    not_before = models.DateTimeField()
    expires_at = models.DateTimeField()
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    installed_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = LicenseQuerySet.as_manager()

    class Meta:
        ordering = ["-installed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "jti"],
                condition=Q(revoked_at__isnull=True),
                name="license_installed_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_plan_display()} license of {self.workspace} ({self.jti[:8]})"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        now = timezone.now()
        if self.expires_at <= now:
            return "expired"
        if self.not_before > now:
            return "not yet valid"
        return "installed"

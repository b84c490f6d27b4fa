"""Sign-in handoff between the apex and workspace subdomains.

Browsers refuse a cookie scoped to `localhost` (the default base domain), so a session
cookie cannot be shared by `localhost` and `acme.localhost`. The apex therefore hands the
signed-in session to a subdomain through a one-time, 60-second token: only its hash is
stored, it is deleted on first use, and the subdomain then carries the same session key
(so signing out anywhere signs out everywhere). On real domains the shared cookie
(SESSION_COOKIE_DOMAIN=.example.com) makes the hop rare, but it works the same.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

HANDOFF_LIFETIME = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionHandoff(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    session_key = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"handoff for user {self.user_id} until {self.expires_at:%H:%M:%S}"

    @classmethod
    def issue(cls, user, session_key: str) -> str:
        cls.objects.filter(expires_at__lte=timezone.now()).delete()
        token = secrets.token_urlsafe(32)
        cls.objects.create(
            token_hash=_hash(token),
            session_key=session_key,
            user=user,
            expires_at=timezone.now() + HANDOFF_LIFETIME,
        )
        return token

    @classmethod
    def redeem(cls, token: str) -> SessionHandoff | None:
        """Consume a token: returns it once if it is valid and unexpired, else None."""
        handoff = cls.objects.filter(token_hash=_hash(token or "")).first()
        if handoff is None:
            return None
        deleted, _ = cls.objects.filter(pk=handoff.pk).delete()
        if deleted != 1 or handoff.expires_at <= timezone.now():
            return None
        return handoff

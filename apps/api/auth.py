"""Who is calling: a Bearer API token or the Studio's own session, then a rate limit.

Both paths end with `request.user`, `request.workspace` and `request.membership` set, so
endpoints and apps/api/access.py need not care which one it was. A token answers 401 when
it is unknown, revoked, expired, for another workspace than the host names, or when its
user is no longer a member; the member's *current* role applies, so a lowered role takes
effect on the next call. The session path keeps Django's CSRF check on unsafe methods.
"""

from __future__ import annotations

import hmac
import math
import re
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from apps.api.errors import ApiError, RateLimited
from apps.api.models import TOKEN_SCHEME, ApiToken, secret_digest
from apps.workspaces.hosts import slug_from_host
from apps.workspaces.models import Membership

#: last_used_at is written at most this often per token, not on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600,
         "hour": 3600, "d": 86400, "day": 86400}  # fmt: skip


def _refuse() -> ApiError:
    return ApiError(
        401,
        "unauthenticated",
        "This API token is not valid for this workspace (unknown, revoked or expired). "
        "Create a new one under Settings → API tokens.",
    )


#: `nbx_<12 hex digits>_<43 url-safe characters>` (apps.api.actions makes them so).
TOKEN_SHAPE = re.compile(rf"{TOKEN_SCHEME}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})")


def parse_token(raw: str) -> tuple[str, str] | None:
    """(prefix, secret), or None for anything of another shape (never sent to the database)."""
    match = TOKEN_SHAPE.fullmatch(raw.strip())
    return (match[1], match[2]) if match else None


class TokenAuth(HttpBearer):
    def __call__(self, request):
        # ninja's own parsing logs a non-Bearer header verbatim under DEBUG: never log it.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token: str):
        parsed = parse_token(token)
        if parsed is None:
            raise _refuse()
        prefix, secret = parsed
        row = ApiToken.objects.usable().select_related("workspace", "user").filter(prefix=prefix)
        api_token = row.first()
        if api_token is None or not hmac.compare_digest(api_token.digest, secret_digest(secret)):
            raise _refuse()
        if slug_from_host(request.get_host()) != api_token.workspace.slug:
            raise _refuse()
        membership = (
            Membership.objects.select_related("workspace", "user")
            .filter(workspace=api_token.workspace, user=api_token.user, user__is_active=True)
            .first()
        )
        # A token from an earlier membership (the user left and was invited back) stays dead.
        if membership is None or api_token.created_at < membership.created_at:
            raise _refuse()
        request.user = membership.user
        request.workspace = membership.workspace
        request.membership = membership
        request.api_token = api_token
        _touch(api_token)
        check_rate(f"token:{api_token.prefix}")
        return api_token


class SessionMemberAuth(SessionAuth):
    """The Studio's own session; the workspace middleware has resolved the membership."""

    def __call__(self, request):
        # Without a member's session there is nothing to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated or getattr(request, "membership", None) is None:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        # The join time tells apart users who got the same id (a restored or test database).
        user = request.user
        check_rate(f"user:{user.pk}:{int(user.date_joined.timestamp() * 1e6)}")
        return user


def _touch(api_token: ApiToken) -> None:
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)


def parse_rate(rate: str) -> tuple[int, int]:
    """("600/min") -> (600, 60): requests allowed per window of that many seconds."""
    try:
        count, _, unit = rate.partition("/")
        return int(count), UNITS[unit.strip().lower()]
    except (ValueError, KeyError):
        raise ValueError(
            f"NUBLOX_API_RATE_LIMIT={rate!r}: expected <count>/<sec|min|hour|day>"
        ) from None


def check_rate(who: str) -> None:
    """Count one call of `who` in the current fixed window; 429 once the limit is passed."""
    allowed, window = parse_rate(settings.NUBLOX_API_RATE_LIMIT)
    now = time.time()
    bucket = int(now // window)
    key = f"api-rate:{who}:{window}:{bucket}"
    cache.add(key, 0, timeout=window + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        used = 1
    if used > allowed:
        raise RateLimited(max(1, math.ceil((bucket + 1) * window - now)))


API_AUTH = [TokenAuth(), SessionMemberAuth()]

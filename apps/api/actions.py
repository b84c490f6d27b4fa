"""Every write to API tokens: create (the raw token returned once) and revoke, audited.

Audit details name the token and its prefix, never the raw token or its digest.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.api.models import TOKEN_SCHEME, ApiToken, secret_digest
from apps.audit.log import record
from apps.workspaces.actions import ActionRefused
from apps.workspaces.models import Membership

SECRET_BYTES = 32
MAX_EXPIRY_DAYS = 3650
MAX_TOKENS_PER_MEMBER = 50


def do_create_api_token(
    workspace, user, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user` in `workspace`; returns (row, raw token shown once)."""
    name = (name or "").strip()
    if not name:
        raise ActionRefused("Give the token a name, e.g. the script or pipeline that uses it.")
    if len(name) > 100:
        raise ActionRefused("A token name can be at most 100 characters.")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ActionRefused(f"Expiry must be between 1 and {MAX_EXPIRY_DAYS} days (or none).")
    if not Membership.objects.filter(workspace=workspace, user=user).exists():
        raise ActionRefused("Only members of this workspace can create tokens for it.")
    with transaction.atomic():
        usable = ApiToken.objects.usable().filter(workspace=workspace, user=user)
        if usable.count() >= MAX_TOKENS_PER_MEMBER:
            raise ActionRefused(
                f"You already have {MAX_TOKENS_PER_MEMBER} active tokens here: revoke some first."
            )
        secret = secrets.token_urlsafe(SECRET_BYTES)
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        token = ApiToken.objects.create(
            workspace=workspace,
            user=user,
            name=name,
            prefix=secrets.token_hex(6),
            digest=secret_digest(secret),
            expires_at=expires_at,
        )
        details = {
            "name": name,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        }
        record(workspace, user, "api_token.create", target=token, details=details)
    return token, f"{TOKEN_SCHEME}_{token.prefix}_{secret}"


def do_revoke_api_token(token: ApiToken, by) -> ApiToken:
    if token.revoked_at:
        raise ActionRefused("This token is already revoked.")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        details = {"name": token.name, "prefix": token.prefix, "owner": token.user.email}
        record(token.workspace, by, "api_token.revoke", target=token, details=details)
    return token

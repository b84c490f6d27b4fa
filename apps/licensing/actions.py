"""Installing and revoking license tokens (pages, staff pages and the command call these).

A token is verified before it is stored, so a workspace never "has" a license it could not
use; a refused token is audited (outcome "refused") with the reason, never the token.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.log import record
from apps.licensing.keys import verification_public_keys
from apps.licensing.models import License
from apps.licensing.tokens import LicenseInvalid, verify_token
from apps.workspaces.actions import ActionRefused


def do_install_license(workspace, token: str, by) -> License:
    token = "".join((token or "").split())
    if not token:
        raise ActionRefused("Paste a license token to install.")
    try:
        claims = verify_token(
            token,
            verification_public_keys(),
            workspace.slug,
            timezone.now(),
            audience=settings.BASE_DOMAIN,
        )
    except LicenseInvalid as exc:
        record(workspace, by, "license.install", outcome="refused", details={"reason": exc.reason})
        raise ActionRefused(f"License not installed. {exc.reason}") from None
    already = ActionRefused("This license is already installed.")
    try:
        with transaction.atomic():
            if License.objects.active().filter(workspace=workspace, jti=claims.jti).exists():
                raise already
            row = License.objects.create(
                workspace=workspace,
                token=token,
                jti=claims.jti,
                plan=claims.plan,
                seats=claims.seats,
                not_before=claims.not_before,
                expires_at=claims.expires_at,
                installed_by=by,
            )
            record(workspace, by, "license.install", target=row, details=_summary(claims))
    except IntegrityError:  # the same token, installed by someone else a moment ago
        raise already from None
    return row


def do_revoke_license(license: License, by) -> License:
    with transaction.atomic():
        row = License.objects.select_for_update().get(pk=license.pk)
        if row.revoked_at is not None:
            raise ActionRefused("This license is already revoked.")
        row.revoked_at = timezone.now()
        row.revoked_by = by
        row.save(update_fields=["revoked_at", "revoked_by"])
        record(row.workspace, by, "license.revoke", target=row, details={"jti": row.jti})
    license.revoked_at, license.revoked_by = row.revoked_at, row.revoked_by
    return row


def _summary(claims) -> dict:
    return {
        "jti": claims.jti,
        "plan": claims.plan,
        "seats": claims.seats,
        "entitlements": sorted(claims.entitlements),
        "not_before": claims.not_before.isoformat(),
        "expires_at": claims.expires_at.isoformat(),
    }

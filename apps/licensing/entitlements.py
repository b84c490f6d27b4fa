"""What a workspace may do under its license: the one gate for views, the API and tasks.

`effective_license` verifies the newest installed token every time it is asked (one query
and one Ed25519 check), so an expired, revoked or tampered token stops counting at once.
A token that fails falls back to the free plan with the reason in `problem`; nothing
raises, because a broken license must never take the Studio down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from apps.licensing.keys import verification_public_keys
from apps.licensing.models import License
from apps.licensing.tokens import ENTITLEMENTS, LicenseInvalid, plan_for, verify_token
from apps.workspaces.actions import ActionRefused

FREE_SEATS = 10


class EntitlementMissing(ActionRefused):
    """The workspace's license does not include a feature; the message says which plan does."""

    def __init__(self, name: str, plan: str):
        self.entitlement, self.plan = name, plan
        needed = plan_for(name)
        super().__init__(
            f"{label(name)} is not included in this workspace's {plan} plan: it comes with "
            f"the {needed} plan. An owner can install a license that includes “{name}”."
        )


@dataclass(frozen=True)
class EffectiveLicense:
    plan: str
    seats: int
    entitlements: frozenset[str]
    expires_at: datetime | None
    source: str  # "token" | "free"
    problem: str = ""  # why the installed token was refused, or ""
    license: License | None = None  # the row that was verified (or refused)


def label(name: str) -> str:
    return ENTITLEMENTS.get(name, name).split(" (")[0]


def effective_license(workspace) -> EffectiveLicense:
    row = License.objects.active().filter(workspace=workspace).first()
    if row is None:
        return _free()
    try:
        claims = verify_token(
            row.token,
            verification_public_keys(),
            workspace.slug,
            timezone.now(),
            audience=settings.BASE_DOMAIN,
        )
    except LicenseInvalid as exc:
        return _free(exc.reason, row)
    except ImproperlyConfigured as exc:
        return _free(f"This installation's license key is misconfigured: {exc}", row)
    return EffectiveLicense(
        plan=claims.plan,
        seats=claims.seats,
        entitlements=claims.entitlements,
        expires_at=claims.expires_at,
        source="token",
        license=row,
    )


def _free(problem: str = "", row: License | None = None) -> EffectiveLicense:
    return EffectiveLicense("free", FREE_SEATS, frozenset(), None, "free", problem, row)


def has_entitlement(workspace, name: str) -> bool:
    if name not in ENTITLEMENTS:
        raise ValueError(f"unknown entitlement {name!r} (known: {', '.join(ENTITLEMENTS)})")
    return name in effective_license(workspace).entitlements


def require_entitlement(workspace, name: str) -> None:
    """Refuse (EntitlementMissing) unless the workspace's license includes `name`."""
    if name not in ENTITLEMENTS:
        raise ValueError(f"unknown entitlement {name!r} (known: {', '.join(ENTITLEMENTS)})")
    current = effective_license(workspace)
    if name not in current.entitlements:
        raise EntitlementMissing(name, current.plan)


def requires_entitlement(name: str):
    """Guard a workspace view: without the entitlement, a 403 page that says what is missing.

    Combine with `apps.workspaces.access.requires` (either order: the permission check's
    `required_action` marker is carried through).
    """
    if name not in ENTITLEMENTS:
        raise ValueError(f"unknown entitlement {name!r}")

    def decorate(view):
        @wraps(view)
        def gated(request, *args, **kwargs):
            if getattr(request, "workspace", None) is None:
                raise Http404("No such workspace")
            try:
                require_entitlement(request.workspace, name)
            except EntitlementMissing as exc:
                context = {"message": str(exc), "entitlement": label(name)}
                return render(request, "licensing/missing.html", context, status=403)
            return view(request, *args, **kwargs)

        gated.required_entitlement = name
        return gated

    return decorate

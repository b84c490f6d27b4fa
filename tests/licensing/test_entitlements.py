"""The effective license: verified on every ask, falling back to free with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import RequestFactory

from apps.licensing.actions import do_install_license, do_revoke_license
from apps.licensing.entitlements import (
    FREE_SEATS,
    EntitlementMissing,
    effective_license,
    has_entitlement,
    require_entitlement,
    requires_entitlement,
)
from apps.licensing.models import License
from apps.workspaces.access import requires
from apps.workspaces.actions import ActionRefused
from apps.workspaces.permissions import Action


def _store(workspace, token: str, **fields) -> License:
    """Put a token in the table directly, as a database edit or a stale row would."""
    defaults = {"jti": "x", "plan": "pro", "seats": 25}
    now = datetime.now(UTC)
    return License.objects.create(
        workspace=workspace,
        token=token,
        not_before=now,
        expires_at=now + timedelta(days=1),
        **{**defaults, **fields},
    )


def test_no_license_means_the_free_plan_without_a_problem(world):
    current = effective_license(world.acme)
    assert (current.plan, current.seats, current.source) == ("free", FREE_SEATS, "free")
    assert current.entitlements == frozenset() and current.problem == ""


def test_an_installed_token_grants_its_plan(world, issuer):
    do_install_license(world.acme, issuer.token(plan="enterprise", seats=40), world.users["owner"])
    current = effective_license(world.acme)
    assert (current.plan, current.seats, current.source) == ("enterprise", 40, "token")
    assert current.entitlements == {"online_apply", "approvals"}
    assert has_entitlement(world.acme, "approvals")
    assert not has_entitlement(world.acme, "agents")
    assert effective_license(world.globex).plan == "free"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda i: i.token(start=datetime(2025, 1, 1, tzinfo=UTC), days=30), "expired on 2025-"),
        (lambda i: i.token(slug="globex"), "for the workspace “globex”"),
        (lambda i: i.token()[:-6] + "AAAAAA", "signature does not match"),
        (lambda i: "garbage", "not a license token"),
    ],
    ids=["expired", "other-workspace", "tampered", "garbage"],
)
def test_a_bad_token_falls_back_to_free_with_the_reason(world, issuer, make, reason):
    row = _store(world.acme, make(issuer))
    current = effective_license(world.acme)
    assert (current.plan, current.seats, current.source) == ("free", FREE_SEATS, "free")
    assert reason in current.problem
    assert current.license == row
    assert not has_entitlement(world.acme, "online_apply")


def test_the_stored_copies_decide_nothing_the_signed_token_does(world, issuer):
    """Editing the table's plan/seats/expiry columns grants nothing: the token is re-verified."""
    do_install_license(world.acme, issuer.token(seats=25), world.users["owner"])
    past = datetime.now(UTC) - timedelta(days=1)
    License.objects.update(plan="enterprise", seats=999, expires_at=past)
    current = effective_license(world.acme)
    assert (current.plan, current.seats) == ("pro", 25)
    assert current.expires_at > datetime.now(UTC)


def test_the_newest_non_revoked_license_is_the_one_in_effect(world, issuer):
    owner = world.users["owner"]
    first = do_install_license(world.acme, issuer.token(seats=20), owner)
    second = do_install_license(world.acme, issuer.token(seats=30), owner)
    assert effective_license(world.acme).seats == 30
    do_revoke_license(second, owner)
    assert effective_license(world.acme).seats == 20
    do_revoke_license(first, owner)
    assert effective_license(world.acme).source == "free"
    assert effective_license(world.acme).problem == ""


def test_a_misconfigured_key_falls_back_to_free_and_says_so(world, issuer, settings):
    do_install_license(world.acme, issuer.token(), world.users["owner"])
    settings.LICENSE_PUBLIC_KEY = "not a key"
    current = effective_license(world.acme)
    assert current.plan == "free"
    assert "license key is misconfigured" in current.problem


def test_require_entitlement_names_the_entitlement_and_the_plan(world, issuer):
    with pytest.raises(EntitlementMissing) as info:
        require_entitlement(world.acme, "approvals")
    assert isinstance(info.value, ActionRefused)
    message = str(info.value)
    assert "Approvals is not included in this workspace's free plan" in message
    assert "comes with the pro plan" in message and "“approvals”" in message
    do_install_license(world.acme, issuer.token(entitlements=["approvals"]), world.users["owner"])
    require_entitlement(world.acme, "approvals")
    with pytest.raises(EntitlementMissing, match="comes with the enterprise plan"):
        require_entitlement(world.acme, "agents")


def test_unknown_entitlement_names_are_programming_errors(world):
    with pytest.raises(ValueError, match="unknown entitlement"):
        require_entitlement(world.acme, "online-apply")
    with pytest.raises(ValueError, match="unknown entitlement"):
        has_entitlement(world.acme, "teleport")
    with pytest.raises(ValueError, match="unknown entitlement"):
        requires_entitlement("teleport")


@requires(Action.APPLY)
@requires_entitlement("online_apply")
def _apply_view(request):
    from django.http import HttpResponse

    return HttpResponse("applied")


def _request(world, role: str):
    request = RequestFactory().get("/apply/", HTTP_HOST="acme.localhost")
    request.user = world.users[role]
    request.workspace = world.acme
    request.membership = world.members[role]
    return request


def test_the_view_decorator_shows_a_403_page_with_the_message(world, issuer, settings):
    settings.ROOT_URLCONF = settings.WORKSPACE_URLCONF  # what the middleware does for a workspace
    response = _apply_view(_request(world, "developer"))
    assert response.status_code == 403
    assert b"Online apply is not included in this workspace&#x27;s free plan" in response.content
    assert b"Ask an owner" in response.content
    owner_view = _apply_view(_request(world, "owner"))
    assert b'href="/license/"' in owner_view.content
    do_install_license(
        world.acme, issuer.token(entitlements=["online_apply"]), world.users["owner"]
    )
    response = _apply_view(_request(world, "developer"))
    assert response.status_code == 200 and response.content == b"applied"


def test_the_view_decorator_keeps_the_permission_marker(world):
    assert _apply_view.required_action == Action.APPLY
    assert _apply_view.required_entitlement == "online_apply"
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # the role check still comes first
        _apply_view(_request(world, "viewer"))

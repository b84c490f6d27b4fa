"""`manage.py issue_license` and `manage.py license_public_key`."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.licensing.entitlements import effective_license
from apps.licensing.keys import verification_public_keys
from apps.licensing.models import License
from apps.licensing.tokens import load_public_keys, public_pem, verify_token


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_prints_a_token_that_verifies(db, settings):
    args = ["--plan", "pro", "--seats", "25", "--entitlements", "online_apply,approvals"]
    token = _run("issue_license", "--workspace", "acme", *args, "--days", "30").strip()
    claims = verify_token(token, verification_public_keys(), "acme", datetime.now(UTC))
    assert (claims.plan, claims.seats) == ("pro", 25)
    assert claims.entitlements == {"online_apply", "approvals"}
    assert (claims.expires_at - claims.not_before).days == 30
    assert settings.LICENSE_ISSUER_KEY_PATH.exists()  # embedded key, made on first use
    assert not License.objects.exists()


def test_defaults_and_not_before(db):
    token = _run(
        "issue_license", "--workspace", "acme", "--plan", "pro", "--seats", "5",
        "--not-before", "2030-01-31",
    ).strip()  # fmt: skip
    start = datetime(2030, 1, 31, tzinfo=UTC)
    claims = verify_token(token, verification_public_keys(), "acme", start)
    assert claims.not_before == start and (claims.expires_at - start).days == 365
    assert claims.entitlements == {"online_apply", "approvals", "audit_export"}


def test_install_puts_it_in_effect(world):
    out = _run(
        "issue_license", "--workspace", "acme", "--plan", "enterprise", "--seats", "40",
        "--entitlements", "agents", "--install",
    )  # fmt: skip
    assert out.startswith("Installed the Enterprise license for Acme (40 seats, until ")
    current = effective_license(world.acme)
    assert (current.plan, current.seats, current.entitlements) == ("enterprise", 40, {"agents"})
    assert License.objects.get().installed_by is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--entitlements", "teleport"], "unknown entitlement teleport"),
        (["--not-before", "yesterday"], "is not a date"),
        (["--days", "0"], "at least 1"),
        (["--install"], "there is no workspace “nosuch”"),
    ],
)
def test_clear_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "issue_license", "--workspace", "nosuch", "--plan", "pro", "--seats", "5", *args
        )


def test_a_verify_only_install_cannot_issue(db, settings, verify_only):
    with pytest.raises(CommandError, match="only verifies licenses"):
        call_command("issue_license", "--workspace", "acme", "--plan", "pro", "--seats", "5")
    assert not settings.LICENSE_ISSUER_KEY_PATH.exists()
    assert _run("license_public_key") == public_pem(verify_only.key)


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        call_command("issue_license", "--help")
    text = capsys.readouterr().out
    assert "examples:" in text and "--not-before 2026-01-01" in text
    assert "online_apply, approvals, compliance_modes, agents, audit_export" in text


def test_public_key_command_prints_the_issuer_public_half(db, issuer):
    pem = _run("license_public_key")
    assert [public_pem(k) for k in load_public_keys(pem)] == [public_pem(issuer.key)]

"""Where keys come from: the embedded key file, configured PEMs, and a verify-only install."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.licensing import checks, keys
from apps.licensing.tokens import issue_token, public_pem, verify_token
from tests.licensing.conftest import private_pem


def test_the_embedded_issuer_key_is_made_on_first_use_readable_by_its_owner_only(settings):
    path = settings.LICENSE_ISSUER_KEY_PATH
    assert not path.exists()
    assert keys.verification_public_keys() == []  # reading never creates a key
    assert not path.exists()
    first = keys.issuer_private_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_pem(keys.issuer_private_key()) == public_pem(first)
    assert [public_pem(k) for k in keys.verification_public_keys()] == [public_pem(first)]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind


def test_an_existing_key_file_is_never_replaced(settings):
    path = settings.LICENSE_ISSUER_KEY_PATH
    first = keys.issuer_private_key()
    again = keys._create_key_file(path)  # as if a second process raced to create it
    assert public_pem(again) == public_pem(first)
    assert public_pem(keys.issuer_private_key()) == public_pem(first)


def test_configured_issuer_key_wins_and_no_file_is_made(settings, issuer):
    assert public_pem(keys.issuer_private_key()) == public_pem(issuer.key)
    assert not settings.LICENSE_ISSUER_KEY_PATH.exists()


def test_verify_only_install_verifies_and_refuses_to_issue(settings, verify_only):
    now = datetime.now(UTC)
    token = verify_only.token(start=now - timedelta(days=1))
    claims = verify_token(token, keys.verification_public_keys(), "acme", now, audience="localhost")
    assert claims.plan == "pro"
    with pytest.raises(keys.NoIssuerKey, match="only verifies licenses"):
        keys.issuer_private_key()
    assert not settings.LICENSE_ISSUER_KEY_PATH.exists()
    assert not settings.LICENSE_ISSUER_KEY_PATH.parent.exists()


def test_bad_pem_is_a_configuration_error(settings):
    settings.LICENSE_PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"
    with pytest.raises(ImproperlyConfigured, match="NUBLOX_LICENSE_PUBLIC_KEY"):
        keys.verification_public_keys()
    assert [e.id for e in checks.license_keys()] == ["licensing.E001"]


def test_a_non_ed25519_key_is_refused(settings):
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1())
    settings.LICENSE_ISSUER_KEY = private_pem(other)
    with pytest.raises(ImproperlyConfigured, match="Ed25519"):
        keys.issuer_private_key()


def test_check_warns_when_issuer_and_public_key_disagree(settings, issuer, verify_only):
    assert [e.id for e in checks.license_keys()] == ["licensing.W001"]
    settings.LICENSE_PUBLIC_KEY = public_pem(issuer.key) + public_pem(verify_only.key)
    assert checks.license_keys() == []


def test_tokens_issued_with_the_embedded_key_verify_with_it():
    now = datetime.now(UTC)
    token = issue_token(keys.issuer_private_key(), "acme", "free", 3, [], now, now + timedelta(1))
    assert verify_token(token, keys.verification_public_keys(), "acme", now).seats == 3

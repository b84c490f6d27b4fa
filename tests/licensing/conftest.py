"""Licensing fixtures: a throwaway issuer key per test, and a token factory.

Every test here points the key settings at its own tmp_path, so nothing is ever written
to the real data folder and no test sees another's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from apps.licensing.tokens import issue_token, public_pem

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class Issuer:
    key: Ed25519PrivateKey

    @property
    def public_key(self):
        return self.key.public_key()

    def token(
        self,
        slug: str = "acme",
        plan: str = "pro",
        seats: int = 25,
        entitlements=("online_apply", "approvals"),
        start: datetime | None = None,
        days: float = 365,
        audience: str | None = "localhost",
    ) -> str:
        start = start or datetime.now(UTC) - timedelta(hours=1)
        end = start + timedelta(days=days)
        return issue_token(self.key, slug, plan, seats, entitlements, start, end, audience=audience)


@pytest.fixture(autouse=True)
def _license_keys_in_tmp(settings, tmp_path):
    settings.LICENSE_ISSUER_KEY = None
    settings.LICENSE_PUBLIC_KEY = None
    settings.LICENSE_ISSUER_KEY_PATH = tmp_path / "keys" / "license-issuer.pem"


@pytest.fixture
def issuer(settings) -> Issuer:
    """The installation's issuer key, configured through NUBLOX_LICENSE_ISSUER_KEY."""
    key = Ed25519PrivateKey.generate()
    settings.LICENSE_ISSUER_KEY = private_pem(key)
    return Issuer(key)


@pytest.fixture
def verify_only(settings) -> Issuer:
    """A verify-only installation: it knows the public key of an issuer kept elsewhere."""
    key = Ed25519PrivateKey.generate()
    settings.LICENSE_PUBLIC_KEY = public_pem(key)
    return Issuer(key)

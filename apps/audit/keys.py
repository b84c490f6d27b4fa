"""The Ed25519 key that signs audit export bundles, and its public half for auditors.

NUBLOX_AUDIT_SIGNING_KEY (PEM) when set; otherwise the embedded default makes a key file
on first use, readable by this user only. Auditors get the public key from
`manage.py audit_public_key` and check bundles with it, away from the platform.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from nublox.keyfiles import create_private_file, new_ed25519_pem


def signing_key() -> Ed25519PrivateKey:
    if settings.AUDIT_SIGNING_KEY:
        return _load(settings.AUDIT_SIGNING_KEY.encode(), "NUBLOX_AUDIT_SIGNING_KEY")
    path = Path(settings.AUDIT_SIGNING_KEY_PATH)
    try:
        return _load(path.read_bytes(), str(path))
    except FileNotFoundError:
        return _create(path)


def public_key_pem() -> str:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key: what manifests name the signer by."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _load(pem: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{where}: not a readable PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{where}: the audit signing key must be an Ed25519 key")
    return key


def _create(path: Path) -> Ed25519PrivateKey:
    return _load(create_private_file(path, new_ed25519_pem()), str(path))

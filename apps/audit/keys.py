"""The Ed25519 key that signs audit export bundles, and its public half for auditors.

NUBLOX_AUDIT_SIGNING_KEY (PEM) when set; otherwise the embedded default makes a key file
on first use, readable by this user only. Auditors get the public key from
`manage.py audit_public_key` and check bundles with it, away from the platform.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


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
    """Write a new key (mode 600, O_EXCL); if another process got there first, use its key.

    The key goes to a private temporary file that is then hard-linked into place, so no
    reader sees half a key and an existing key is never replaced.
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)  # left behind by a crashed process with our pid
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return _load(path.read_bytes(), str(path))
    finally:
        temporary.unlink(missing_ok=True)
    return key

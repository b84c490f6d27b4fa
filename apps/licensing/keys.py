"""Where this installation gets its license keys.

Issuing needs the private key: NUBLOX_LICENSE_ISSUER_KEY, or (embedded default) a key file
made on first use. Verifying needs only public keys: NUBLOX_LICENSE_PUBLIC_KEY, or the
issuer key's own half. A verify-only install (public key, no issuer key) never makes an
issuer key, and reading keys never creates one: only issuing does.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.licensing.tokens import load_private_key, load_public_keys
from nublox.keyfiles import create_private_file, new_ed25519_pem


class NoIssuerKey(Exception):
    """This installation cannot sign licenses; the message says where they are issued."""


def issuer_private_key() -> Ed25519PrivateKey:
    """The key that signs licenses, creating the embedded key file if nothing is configured."""
    key = configured_issuer_key()
    if key is not None:
        return key
    if settings.LICENSE_PUBLIC_KEY:
        raise NoIssuerKey(
            "This installation only verifies licenses (NUBLOX_LICENSE_PUBLIC_KEY is set and "
            "there is no issuer key): issue licenses where the issuer key is kept."
        )
    return _create_key_file(Path(settings.LICENSE_ISSUER_KEY_PATH))


def verification_public_keys() -> list[Ed25519PublicKey]:
    """Keys a token may be signed with; empty when this install has none (yet)."""
    if settings.LICENSE_PUBLIC_KEY:
        try:
            return load_public_keys(settings.LICENSE_PUBLIC_KEY)
        except ValueError as exc:
            raise ImproperlyConfigured(f"NUBLOX_LICENSE_PUBLIC_KEY: {exc}") from None
    key = configured_issuer_key()
    return [key.public_key()] if key is not None else []


def configured_issuer_key() -> Ed25519PrivateKey | None:
    if settings.LICENSE_ISSUER_KEY:
        return _load(settings.LICENSE_ISSUER_KEY, "NUBLOX_LICENSE_ISSUER_KEY")
    path = Path(settings.LICENSE_ISSUER_KEY_PATH)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return None
    return _load(pem, str(path))


def _load(pem: str | bytes, where: str) -> Ed25519PrivateKey:
    try:
        return load_private_key(pem)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{where}: not a usable license issuer key ({exc})") from None


def _create_key_file(path: Path) -> Ed25519PrivateKey:
    return _load(create_private_file(path, new_ed25519_pem()), str(path))

"""The registry of secret backends, keyed by the name a `SecretRef` stores as its provider.

New secrets go to the active backend (Vault when VAULT_ADDR is set, else the local store);
an existing secret is always read from the backend that stored it, for as long as that
backend is configured here.
"""

from __future__ import annotations

from django.conf import settings

from apps.secrets.backends.base import SecretBackend
from apps.secrets.backends.local import LocalBackend
from apps.secrets.backends.vault import VaultBackend
from apps.secrets.errors import SecretUnavailable

REGISTRY: dict[str, SecretBackend] = {b.name: b for b in (LocalBackend(), VaultBackend())}


def active() -> SecretBackend:
    return REGISTRY["vault" if settings.VAULT_ADDR else "local"]


def for_ref(ref) -> SecretBackend:
    backend = REGISTRY.get(ref.provider)
    if backend is None:
        raise SecretUnavailable(
            f"Secret {ref} names a provider this install does not know ({ref.provider!r})."
        )
    if not backend.configured():
        raise SecretUnavailable(
            f"Secret {ref} is kept in {backend.label}, which is not configured here: "
            f"{backend.setup_hint}."
        )
    return backend

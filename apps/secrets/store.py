"""The only way the rest of the platform stores, reads, replaces or removes a secret.

Callers hold a `SecretRef` and never learn which backend is behind it. Every failure is a
`SecretUnavailable` whose message is safe to show. Who read a secret, and why, is the
caller's to record in the audit chain (action "secret.read"): only it knows the actor.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.secrets import backends
from apps.secrets.models import SecretRef


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a secret value must be a str, not {type(value).__name__}")
    return value


def put(workspace, purpose: str, value: str) -> SecretRef:
    """Store `value` in the active backend; returns the saved reference to it."""
    value = _text(value)
    backend = backends.active()
    with transaction.atomic():
        ref = SecretRef.objects.create(
            workspace=workspace,
            provider=backend.name,
            locator=backend.new_locator(workspace),
            purpose=purpose[:200],
        )
        backend.write(ref, value)
    return ref


def reveal(ref: SecretRef) -> str:
    return backends.for_ref(ref).read(ref)


def replace(ref: SecretRef, value: str) -> None:
    """Store a new value under the same reference, in the backend that holds the old one."""
    value = _text(value)
    backend = backends.for_ref(ref)
    with transaction.atomic():
        backend.write(ref, value)
        ref.updated_at = timezone.now()
        SecretRef.objects.filter(pk=ref.pk).update(updated_at=ref.updated_at)


def delete(ref: SecretRef) -> None:
    """Remove the stored value, then the reference."""
    backend = backends.for_ref(ref)
    with transaction.atomic():
        backend.delete(ref)
        ref.delete()

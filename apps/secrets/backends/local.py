"""The embedded store: AES-256-GCM envelope encryption into the platform database.

Each value gets its own random 256-bit data key; the master key (apps/secrets/masterkey.py)
only wraps data keys, so rotating it re-wraps 32 bytes per secret and never touches
ciphertext. Both layers bind the ref's workspace and id as associated data, so a sealed
record copied onto another ref, or another workspace, does not open.
"""

from __future__ import annotations

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils import timezone

from apps.secrets import masterkey
from apps.secrets.backends.base import SecretBackend
from apps.secrets.errors import SecretUnavailable
from apps.secrets.masterkey import MasterKey

NONCE_BYTES = 12


def associated_data(ref) -> bytes:
    return f"nublox-secret/v1|workspace={ref.workspace_id}|ref={ref.pk}".encode()


def _wrap_aad(ref) -> bytes:
    return associated_data(ref) + b"|data-key"


def wrap(data_key: bytes, ref, master: MasterKey) -> tuple[bytes, bytes]:
    nonce = os.urandom(NONCE_BYTES)
    return AESGCM(master.key).encrypt(nonce, data_key, _wrap_aad(ref)), nonce


def unwrap(record, ref, master: MasterKey) -> bytes:
    if record.key_id != master.id:
        raise SecretUnavailable(
            f"Secret {ref} cannot be decrypted: the master key does not match the one that "
            f"sealed it (sealed with key {record.key_id}, the key from {master.source} is "
            f"{master.id})."
        )
    try:
        return AESGCM(master.key).decrypt(
            bytes(record.wrap_nonce), bytes(record.wrapped_key), _wrap_aad(ref)
        )
    except InvalidTag:
        raise _altered(ref) from None


def _altered(ref) -> SecretUnavailable:
    return SecretUnavailable(
        f"Secret {ref} cannot be decrypted: its sealed record was altered or belongs to "
        "another secret. Store the value again."
    )


class LocalBackend(SecretBackend):
    name = "local"
    label = "the local encrypted store"
    setup_hint = "it is always available"

    def configured(self) -> bool:
        return True

    def new_locator(self, workspace) -> str:
        return uuid.uuid4().hex

    def write(self, ref, value: str) -> None:
        from apps.secrets.models import LocalSecret

        master = masterkey.load(create=True)
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(data_key).encrypt(nonce, value.encode("utf-8"), associated_data(ref))
        wrapped, wrap_nonce = wrap(data_key, ref, master)
        LocalSecret.objects.update_or_create(
            ref=ref,
            defaults={
                "ciphertext": ciphertext,
                "nonce": nonce,
                "wrapped_key": wrapped,
                "wrap_nonce": wrap_nonce,
                "key_id": master.id,
                "updated_at": timezone.now(),
            },
        )

    def read(self, ref) -> str:
        from apps.secrets.models import LocalSecret

        record = LocalSecret.objects.filter(ref_id=ref.pk).first()
        if record is None:
            raise SecretUnavailable(f"Secret {ref} has no sealed value in the local store.")
        data_key = unwrap(record, ref, masterkey.load())
        try:
            plain = AESGCM(data_key).decrypt(
                bytes(record.nonce), bytes(record.ciphertext), associated_data(ref)
            )
        except InvalidTag:
            raise _altered(ref) from None
        return plain.decode("utf-8")

    def delete(self, ref) -> None:
        from apps.secrets.models import LocalSecret

        LocalSecret.objects.filter(ref_id=ref.pk).delete()

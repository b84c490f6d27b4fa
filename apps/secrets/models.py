"""What the platform database may hold about a secret: where it is, never what it is.

A `SecretRef` names a provider (a backend in `apps.secrets.backends`) and a locator that
only that backend understands (a Vault KV path, or the id of a sealed local record).
Connections and anything else that needs a credential point at one of these.

`LocalSecret` is the embedded store's sealed record: only ciphertext and a wrapped data
key, useless without the master key, which never enters the database.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SecretRef(models.Model):
    class Provider(models.TextChoices):
        LOCAL = "local", "Local encrypted store"
        VAULT = "vault", "HashiCorp Vault"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="secret_refs"
    )
    provider = models.CharField(max_length=20, choices=Provider.choices)
    locator = models.CharField(max_length=500)
    purpose = models.CharField(max_length=200, help_text="what the secret is for, e.g. a password")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "locator"], name="unique_secret_locator")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.locator}"


class LocalSecret(models.Model):
    """One value sealed by envelope encryption (see apps/secrets/backends/local.py).

    `key_id` names the master key that wrapped `wrapped_key`, so a rotation interrupted
    between its commit and its file renames can tell which key file is current.
    """

    ref = models.OneToOneField(SecretRef, on_delete=models.CASCADE, related_name="sealed")
    ciphertext = models.BinaryField()
    nonce = models.BinaryField()
    wrapped_key = models.BinaryField()
    wrap_nonce = models.BinaryField()
    key_id = models.CharField(max_length=16, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"sealed secret #{self.pk} (key {self.key_id})"

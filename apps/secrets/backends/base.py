"""The contract every secret backend keeps, so the store never asks which one it talks to.

A backend owns the value behind a `SecretRef`: it makes the locator, writes, reads and
removes. It raises only `SecretUnavailable`, with a message that names the secret by its
reference and never carries the value or a credential of the backend itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class SecretBackend(ABC):
    name: str  # stored in SecretRef.provider; never rename one that has refs
    label: str  # for people: "HashiCorp Vault"
    setup_hint: str  # what to configure when it is not configured

    @abstractmethod
    def configured(self) -> bool:
        """Whether this install can reach the backend at all (settings present)."""

    @abstractmethod
    def new_locator(self, workspace) -> str:
        """A fresh locator for a secret of `workspace`, unique within this backend."""

    @abstractmethod
    def write(self, ref, value: str) -> None:
        """Store `value` for the saved `ref`, replacing any earlier value."""

    @abstractmethod
    def read(self, ref) -> str:
        """The value stored for `ref`."""

    @abstractmethod
    def delete(self, ref) -> None:
        """Remove every stored copy of the value; removing a missing value is not an error."""

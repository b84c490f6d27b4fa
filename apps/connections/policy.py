"""Enforce a connection's policy: what the engine is told before it dials, and how many
sessions may be open at once.

Everything here happens BEFORE a byte is sent: `session_options` turns the policy into
engine connect options (or refuses), `open_session` takes a lease, reads the secret (and
audits that read) and only then connects. TLS that the policy requires but the server does
not offer is refused by the engine itself before the login: its sslmode/sslpin checks run
at the TLS step, ahead of the startup and auth messages.

Sessions are counted in `SessionLease` rows, taken under a row lock on the Connection, so
the limit holds across web processes and Celery workers; a holder that died leaves a lease
that simply expires. Call `open_session` outside a transaction, or other processes will not
see the lease until yours commits.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.connections.addresses import Address, describe_url
from apps.connections.models import Connection, SessionLease
from apps.workspaces.actions import ActionRefused
from engine import connect
from engine.secret import Secret
from engine.url import parse_url

#: A lease outlives its session by at most this long if its process dies without releasing.
LEASE_LIFETIME = timedelta(minutes=30)
#: sslmodes that may end up without encryption; the policy raises them to `require`
UNENCRYPTED_MODES = ("disable", "allow", "prefer")
VERIFYING_MODES = ("verify-ca", "verify-full")


class PolicyViolation(ActionRefused):
    """The connection's policy forbids this connection or one more session on it."""


def plaintext_allowed(policy, address: Address) -> bool:
    """May this address be reached without TLS under this policy?"""
    if address.is_loopback:
        return policy.allow_plaintext_loopback
    return not policy.require_tls_remote


def check_file_allowed(path: str) -> None:
    """A file database must exist inside settings.FILE_DATABASE_DIRS and must not be the
    platform's own database: a member who may add connections must not be able to read the
    platform's sessions, password hashes or sealed secrets, or any other file on the machine.
    Symbolic links are resolved first, so a link cannot point outside."""
    real = Path(path).resolve()
    platform_db = Path(str(settings.DATABASES["default"]["NAME"])).resolve()
    allowed = [Path(folder).resolve() for folder in settings.FILE_DATABASE_DIRS]
    if real == platform_db or not any(real.is_relative_to(folder) for folder in allowed):
        folders = ", ".join(str(folder) for folder in allowed)
        raise PolicyViolation(
            f"{path} is outside the folders this platform opens database files from "
            f"({folders}). Put the file there, or ask the operator to add its folder to "
            "NUBLOX_FILE_DATABASE_DIRS."
        )
    if not real.is_file():
        raise PolicyViolation(f"There is no database file at {path} on the platform's machine.")


def session_options(connection: Connection) -> dict[str, Any]:
    """Engine connect keyword arguments that apply the policy to this connection's URL.

    Raises PolicyViolation when the URL itself asks for what the policy forbids."""
    policy = connection.policy
    address = describe_url(connection.url)
    options: dict[str, Any] = {
        "connect_timeout": float(policy.connect_timeout_s),
        # The engine gives up on a statement whose server stays silent this long (and
        # closes the session): the one statement bound that needs no family-specific SQL.
        "read_timeout": float(policy.statement_timeout_s),
    }
    if address.is_file:
        check_file_allowed(address.path)
        return options
    asked = parse_url(connection.url, password="").sslmode
    needs_tls = not plaintext_allowed(policy, address)
    pinned_or_verified = bool(policy.pinned_sha256 or policy.ca_file)
    if asked == "disable" and (needs_tls or pinned_or_verified):
        raise PolicyViolation(
            f"The URL asks for sslmode=disable, but policy “{policy.name}” requires TLS for "
            f"{address.where}. Remove sslmode=disable from the URL or change the policy."
        )
    if needs_tls and asked in UNENCRYPTED_MODES:
        options["sslmode"] = "require"
    if policy.ca_file:
        options["sslrootcert"] = policy.ca_file
        if asked not in VERIFYING_MODES:
            options["sslmode"] = "verify-ca"
    if policy.pinned_sha256:
        options["sslpin"] = policy.pinned_sha256
    return options


# --- session leases ----------------------------------------------------------------------


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def acquire_lease(connection: Connection) -> SessionLease:
    """Take one of the policy's `max_sessions` slots, or refuse."""
    now = timezone.now()
    with transaction.atomic():
        locked = Connection.objects.select_for_update().select_related("policy")
        row = locked.get(pk=connection.pk)
        SessionLease.objects.filter(connection=row, expires_at__lte=now).delete()
        limit = row.policy.max_sessions
        open_now = SessionLease.objects.filter(connection=row).count()
        if open_now >= limit:
            raise PolicyViolation(
                f"{open_now} sessions already open on {row.name} (policy limit {limit}). "
                "Wait for one to finish, or raise the limit in the policy."
            )
        return SessionLease.objects.create(
            connection=row, holder=_holder(), acquired_at=now, expires_at=now + LEASE_LIFETIME
        )


def release_lease(lease: SessionLease) -> None:
    SessionLease.objects.filter(pk=lease.pk).delete()


# --- the one way the platform opens a session ------------------------------------------


def reveal_password(connection: Connection, user=None, *, why: str = "connect") -> Secret:
    """The connection's password as an engine Secret, recording the read in the audit
    chain (who, which connection, why; never the value). No secret: an empty Secret."""
    from apps.audit.log import record
    from apps.secrets import store

    ref = connection.secret
    if ref is None:
        return Secret(None)
    value = store.reveal(ref)  # SecretUnavailable carries a safe message
    record(
        connection.workspace,
        user,
        "secret.read",
        target=connection,
        details={"purpose": ref.purpose, "provider": ref.provider, "why": why},
    )
    return Secret(value)


@contextlib.contextmanager
def open_session(connection: Connection, user=None, *, why: str = "connect") -> Iterator[Any]:
    """Policy check, lease, secret read, connect; yields an engine session and closes it
    and frees the lease however the block ends."""
    options = session_options(connection)
    lease = acquire_lease(connection)
    try:
        password = reveal_password(connection, user, why=why)
        with connect(connection.url, password=password, **options) as session:
            yield session
    finally:
        release_lease(lease)

"""HashiCorp Vault (KV version 2) through hvac, for production installs.

A secret lives at `<VAULT_KV_MOUNT>/data/<VAULT_PATH_PREFIX>/<workspace slug>/<uuid>` as
{"value": ...}; the ref's locator is the path inside the mount. Auth is a token
(VAULT_TOKEN) or AppRole (VAULT_ROLE_ID + VAULT_SECRET_ID), which logs in again when its
token's lease runs out or Vault answers 403. Every hvac or requests error is turned into
a `SecretUnavailable` naming the Vault address and the reason, built from the error's
type alone: Vault's and requests' own texts are never passed on, so no token or value can
ride along.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from dataclasses import dataclass, field

import hvac
import requests
from django.conf import settings
from hvac import exceptions as vault_errors

from apps.secrets.backends.base import SecretBackend
from apps.secrets.errors import SecretUnavailable

# Vault's own answers, by hvac exception type: what a person should be told.
REASONS = {
    vault_errors.VaultDown: "Vault is sealed or on standby (HTTP 503): unseal it and retry",
    vault_errors.VaultNotInitialized: "Vault is not initialized (HTTP 501)",
    vault_errors.Forbidden: "permission denied (HTTP 403): the token's policy does not allow "
    "this on {where}, or the token has expired",
    vault_errors.Unauthorized: "authentication failed (HTTP 401)",
    vault_errors.InvalidPath: "not found (HTTP 404): nothing at {where}; was it removed in "
    "Vault, or is VAULT_KV_MOUNT wrong?",
    vault_errors.InvalidRequest: "Vault rejected the request (HTTP 400); is {mount} a KV "
    "version 2 mount, and VAULT_NAMESPACE right?",
    vault_errors.RateLimitExceeded: "Vault is rate limiting requests (HTTP 429)",
    vault_errors.InternalServerError: "Vault had an internal error (HTTP 500)",
    vault_errors.BadGateway: "a proxy in front of Vault failed (HTTP 502)",
}

# Transport failures, most specific first (SSLError and timeouts are ConnectionErrors too).
TRANSPORT = (
    (requests.exceptions.SSLError, "tls"),
    (requests.exceptions.Timeout, "timeout"),
    (requests.exceptions.ConnectionError, "unreachable"),
    (requests.exceptions.RequestException, "request"),
    (OSError, "files"),
)

TLS_REASONS = (
    (
        "CERTIFICATE_VERIFY_FAILED",
        "its certificate is not trusted: set VAULT_CACERT to the CA that signed it",
    ),
    ("hostname", "its certificate does not match the host name in VAULT_ADDR"),
    (
        "certificate required",
        "Vault requires a client certificate: set VAULT_CLIENT_CERT and VAULT_CLIENT_KEY",
    ),
)

UNREACHABLE_REASONS = (
    ("Connection refused", "unreachable: connection refused (is Vault running at that port?)"),
    ("Name or service not known", "unreachable: the host name does not resolve"),
    ("nodename nor servname", "unreachable: the host name does not resolve"),
)


def _first_match(text: str, table, default: str) -> str:
    return next((reason for needle, reason in table if needle in text), default)


def _transport_reason(exc: Exception) -> str:
    kind = next(kind for cls, kind in TRANSPORT if isinstance(exc, cls))
    text = str(exc)
    if kind == "tls":
        return "TLS failed: " + _first_match(
            text,
            TLS_REASONS,
            "the TLS handshake failed (check VAULT_CACERT, VAULT_CLIENT_CERT, VAULT_CLIENT_KEY)",
        )
    if kind == "timeout":
        return f"no answer within VAULT_TIMEOUT={settings.VAULT_TIMEOUT} seconds"
    if kind == "unreachable":
        return _first_match(text, UNREACHABLE_REASONS, "unreachable: cannot connect")
    if kind == "files":
        return (
            "cannot use the TLS files named by VAULT_CACERT / VAULT_CLIENT_CERT / "
            "VAULT_CLIENT_KEY (missing or unreadable)"
        )
    return "the request failed before Vault answered"


def explain(exc: Exception, doing: str, where: str) -> SecretUnavailable:
    """The safe message for an error raised while `doing` something at `where`."""
    if isinstance(exc, vault_errors.VaultError):
        template = next(
            (text for cls, text in REASONS.items() if isinstance(exc, cls)),
            "Vault answered with an unexpected error",
        )
        reason = template.format(where=where, mount=settings.VAULT_KV_MOUNT)
    else:
        reason = _transport_reason(exc)
    return SecretUnavailable(f"Vault at {settings.VAULT_ADDR}: cannot {doing}: {reason}.")


CAUGHT = (vault_errors.VaultError, requests.exceptions.RequestException, OSError)


@dataclass
class _Session:
    client: hvac.Client = field(repr=False)
    approle: bool
    expires_at: float | None = None  # time.monotonic() after which to log in again

    def stale(self) -> bool:
        return self.expires_at is not None and time.monotonic() >= self.expires_at


def _config() -> tuple:
    s = settings
    return (
        s.VAULT_ADDR, s.VAULT_TOKEN, s.VAULT_ROLE_ID, s.VAULT_SECRET_ID, s.VAULT_APPROLE_MOUNT,
        s.VAULT_NAMESPACE, s.VAULT_CACERT, s.VAULT_SKIP_VERIFY, s.VAULT_CLIENT_CERT,
        s.VAULT_CLIENT_KEY, s.VAULT_TIMEOUT,
    )  # fmt: skip


def _client(token: str) -> hvac.Client:
    s = settings
    verify = False if s.VAULT_SKIP_VERIFY else (s.VAULT_CACERT or True)
    pair = (s.VAULT_CLIENT_CERT, s.VAULT_CLIENT_KEY)
    cert = pair if all(pair) else s.VAULT_CLIENT_CERT  # a PEM may hold both
    return hvac.Client(
        url=s.VAULT_ADDR,
        token=token,  # "" (never None): hvac would otherwise pick up ~/.vault-token
        namespace=s.VAULT_NAMESPACE or None,
        verify=verify,
        cert=cert,
        timeout=s.VAULT_TIMEOUT,
    )


class VaultBackend(SecretBackend):
    name = "vault"
    label = "HashiCorp Vault"
    setup_hint = "set VAULT_ADDR and VAULT_TOKEN (or VAULT_ROLE_ID and VAULT_SECRET_ID)"

    def __init__(self) -> None:
        self._sessions: dict[tuple, _Session] = {}
        self._lock = threading.Lock()

    def configured(self) -> bool:
        return bool(settings.VAULT_ADDR)

    def new_locator(self, workspace) -> str:
        return f"{settings.VAULT_PATH_PREFIX.strip('/')}/{workspace.slug}/{uuid.uuid4()}"

    def write(self, ref, value: str) -> None:
        self._call(
            f"store secret {ref}",
            ref,
            lambda kv: kv.create_or_update_secret(
                path=ref.locator, secret={"value": value}, mount_point=settings.VAULT_KV_MOUNT
            ),
        )

    def read(self, ref) -> str:
        answer = self._call(
            f"read secret {ref}",
            ref,
            lambda kv: kv.read_secret_version(
                path=ref.locator,
                mount_point=settings.VAULT_KV_MOUNT,
                raise_on_deleted_version=True,
            ),
        )
        try:
            value = answer["data"]["data"]["value"]
        except (KeyError, TypeError):
            value = None
        if not isinstance(value, str):
            raise SecretUnavailable(
                f"Vault at {settings.VAULT_ADDR}: secret {ref} has no text field "
                f"'value' at {self._where(ref)}."
            )
        return value

    def delete(self, ref) -> None:
        with contextlib.suppress(vault_errors.InvalidPath):  # already gone is fine
            self._call(
                f"delete secret {ref}",
                ref,
                lambda kv: kv.delete_metadata_and_all_versions(
                    path=ref.locator, mount_point=settings.VAULT_KV_MOUNT
                ),
                passthrough=(vault_errors.InvalidPath,),
            )

    # --- plumbing --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget clients and tokens (settings changed, or tests)."""
        with self._lock:
            self._sessions.clear()

    def _where(self, ref) -> str:
        return f"{settings.VAULT_KV_MOUNT}/data/{ref.locator}"

    def _call(self, doing: str, ref, operation, passthrough: tuple = ()):
        where = self._where(ref)
        session = self._session(fresh=False)
        for attempt in (1, 2):
            try:
                return operation(session.client.secrets.kv.v2)
            except passthrough:
                raise
            except vault_errors.Forbidden as exc:
                if not session.approle or attempt == 2:
                    raise explain(exc, doing, where) from None
            except CAUGHT as exc:
                raise explain(exc, doing, where) from None
            session = self._session(fresh=True)  # the AppRole token may have expired

    def _session(self, fresh: bool) -> _Session:
        key = _config()
        with self._lock:
            session = self._sessions.get(key)
            if session is None or fresh or session.stale():
                session = self._sessions[key] = self._connect()
            return session

    def _connect(self) -> _Session:
        s = settings
        if not s.VAULT_ADDR:
            raise SecretUnavailable(f"Vault is not configured here: {self.setup_hint}.")
        if s.VAULT_ROLE_ID:
            return self._approle_login()
        if s.VAULT_TOKEN:
            return _Session(_client(s.VAULT_TOKEN), approle=False)
        raise SecretUnavailable(
            f"Vault at {s.VAULT_ADDR}: no credentials configured: set VAULT_TOKEN, or "
            "VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole."
        )

    def _approle_login(self) -> _Session:
        s = settings
        client = _client("")
        try:
            answer = client.auth.approle.login(
                role_id=s.VAULT_ROLE_ID,
                secret_id=s.VAULT_SECRET_ID,
                mount_point=s.VAULT_APPROLE_MOUNT,
            )
        except CAUGHT as exc:
            raise explain(
                exc, f"log in with AppRole at auth/{s.VAULT_APPROLE_MOUNT}", "the login path"
            ) from None
        lease = (answer.get("auth") or {}).get("lease_duration") or 0
        expires_at = time.monotonic() + lease * 0.9 if lease else None
        return _Session(client, approle=True, expires_at=expires_at)

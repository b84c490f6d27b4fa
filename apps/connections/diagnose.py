""" "Test connection": connect once, ping, and say what happened in words a person uses.

The engine raises typed errors (engine/errors.py) whose messages are written for engineers;
`explain` maps each to a headline naming the address and what to check, with the engine's
own message kept as the detail. The table is ordered: the first rule whose class matches
and whose marker (if any) is in the message wins. The markers are phrases of the engine's
own messages, not of any server's.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.connections.addresses import describe_url
from apps.connections.models import Connection
from apps.connections.policy import PolicyViolation, open_session
from apps.secrets.errors import SecretUnavailable
from apps.workspaces.actions import ActionRefused
from engine import errors


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class, whatever the name says

    ok: bool
    headline: str
    detail: str = ""


#: (error class, marker in the engine's message or None, headline template)
RULES: list[tuple[type[BaseException], str | None, str]] = [
    (PolicyViolation, None, "Refused by the connection policy before connecting"),
    (ActionRefused, None, "Refused before connecting"),
    (SecretUnavailable, None, "The stored password could not be read"),
    (errors.ConfigError, None, "The connection settings are not valid"),
    (errors.TimeoutError, None, "No answer from {where} within {timeout} s"),
    (errors.ConnectError, "cannot resolve", "The host name {host} could not be found"),
    (errors.ConnectError, "refused", "Nothing is listening on {where}"),
    (errors.TLSError, "pinned", "The server's certificate is not the pinned one"),
    (errors.TLSError, "did not verify", "The server's certificate did not verify"),
    (
        errors.TLSError,
        "TLS is required",
        "TLS is required by the policy, but {where} does not offer it",
    ),
    (errors.TLSError, None, "The TLS handshake with {where} failed"),
    (errors.AuthError, None, "The server refused the user name or password"),
    (errors.SecurityPolicyError, None, "Stopped before the login: it would not be safe"),
    (errors.ConnectionLost, None, "{where} closed the connection"),
    (errors.ProtocolError, None, "{where} does not answer like a {family} server"),
    (errors.OperationalError, None, "Could not reach {where}"),
    (errors.ServerError, None, "The server answered with an error"),
    (errors.EngineError, None, "The connection failed"),
]

#: SQLSTATE 3D000 is the SQL standard's "invalid catalog name" (no such database)
UNKNOWN_DATABASE_SQLSTATE = "3D000"


def _server_refused_database(exc: BaseException, database: str) -> bool:
    """A login refused by the server itself because of the database it was asked for."""
    if not isinstance(exc, errors.ConnectError):
        return False
    details = getattr(exc, "details", {}) or {}
    if not (details.get("sqlstate") or details.get("code")):
        return False  # a socket failure, not an answer from the server
    if details.get("sqlstate") == UNKNOWN_DATABASE_SQLSTATE:
        return True
    return bool(database) and database in str(exc)


def explain(exc: BaseException, connection: Connection) -> TestOutcome:
    """The outcome for a failure; the headline names the place, the detail the cause."""
    detail = " ".join(str(exc).split())
    try:
        address = describe_url(connection.url)
    except errors.ConfigError as bad_url:
        return TestOutcome(False, "The connection settings are not valid", str(bad_url))
    if _server_refused_database(exc, address.database):
        headline = (
            f"The server refused database “{address.database}”: it does not exist "
            "or this user may not use it"
        )
        return TestOutcome(False, headline, detail)
    if isinstance(exc, errors.ConnectError) and (exc.details or {}).get("sqlstate"):
        return TestOutcome(False, f"{address.where} refused the connection", detail)
    for cls, marker, template in RULES:
        if isinstance(exc, cls) and (marker is None or marker in str(exc)):
            headline = template.format(
                where=address.where,
                host=address.host,
                family=address.family,
                timeout=connection.policy.connect_timeout_s,
            )
            return TestOutcome(False, headline[:1].upper() + headline[1:], detail)
    return TestOutcome(False, "The connection failed", detail)


def describe_success(connection: Connection, server: dict) -> TestOutcome:
    address = describe_url(connection.url)
    tls = server.get("tls")
    if tls:
        trust = (
            "pinned" if tls.get("pinned") else "verified" if tls.get("verified") else "unverified"
        )
        channel = f"TLS {tls.get('version')} ({trust})"
    else:
        channel = "no TLS" if not address.is_file else "a local file"
    version = server.get("version") or "unknown version"
    who = f" as {address.username}" if address.username else ""
    return TestOutcome(
        True,
        f"Connected to {address.where}",
        f"{address.family} {version}{who}, over {channel}.",
    )


def test_connection(connection: Connection, user=None) -> TestOutcome:
    """Connect through the policy, ping, and audit `connection.test` with the outcome."""
    from apps.audit.log import record

    refused = False
    try:
        with open_session(connection, user, why="test") as session:
            session.ping()
            outcome = describe_success(connection, session.server)
    except (ActionRefused, SecretUnavailable, errors.EngineError) as exc:
        refused = isinstance(exc, ActionRefused)
        outcome = explain(exc, connection)
    record(
        connection.workspace,
        user,
        "connection.test",
        target=connection,
        outcome="ok" if outcome.ok else "refused" if refused else "failed",
        details={"headline": outcome.headline},
    )
    return outcome


test_connection.__test__ = False  # a service function, not a pytest test

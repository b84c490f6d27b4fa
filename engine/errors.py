"""Typed errors of the engine.

Every failure the engine can meet surfaces as one of these, so callers (the CLI, the
Studio's jobs) can map them to exit codes and messages without ever showing a traceback.
`exit_code` follows the CLI contract: 1 refused, 2 usage, 3 cannot connect or
authenticate, 4 server error.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of everything the engine raises on purpose."""

    exit_code = 4

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class InterfaceError(EngineError):
    """The caller misused the API (query while a result is pending, closed session)."""

    exit_code = 2


class ConfigError(InterfaceError):
    """A URL, option or pack is malformed; names the offending part."""


class PackError(ConfigError):
    """A wire pack failed validation; `where` is 'file:json/path'."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message, where=where)
        self.where = where


class OperationalError(EngineError):
    """The database could not be reached or the link broke."""

    exit_code = 3


class ConnectError(OperationalError):
    """Refused, unreachable, DNS failure or connect timeout."""


class TimeoutError(OperationalError):
    """A connect or read deadline passed; the session is closed."""


class ConnectionLost(OperationalError):
    """The server closed the connection (or it died) mid-exchange."""


class TLSError(OperationalError):
    """TLS was required but refused, or the certificate did not verify."""


class AuthError(OperationalError):
    """The server rejected the credentials, or the auth exchange was unsupported."""

    def __init__(self, message: str, code: object = None, sqlstate: str | None = None) -> None:
        super().__init__(message, code=code, sqlstate=sqlstate)
        self.code = code
        self.sqlstate = sqlstate


class SecurityPolicyError(OperationalError):
    """The client refused to continue: cleartext over plain TCP, a channel-binding downgrade,
    an unverified SCRAM server signature, LOCAL INFILE, bytes injected before TLS."""


class ProtocolError(OperationalError):
    """The peer broke the protocol; the connection is unusable."""


class ServerError(EngineError):
    """The server answered a command with an error; the session stays usable.

    `code` is the family's native error number (MySQL) or None, `sqlstate` the five-char
    SQLSTATE, `fields` every field the server sent (PostgreSQL's detail, hint, position, ...).
    """

    exit_code = 4

    def __init__(
        self,
        message: str,
        code: int | None = None,
        sqlstate: str | None = None,
        fields: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, sqlstate=sqlstate)
        self.code = code
        self.sqlstate = sqlstate
        self.fields = dict(fields or {})

    def __str__(self) -> str:
        tags = " ".join(str(t) for t in (self.code, self.sqlstate) if t)
        return f"{self.message} [{tags}]" if tags else self.message


class QueryCanceled(ServerError):
    """The running statement was cancelled (by `Session.cancel()` or a statement timeout)."""


class DataError(EngineError):
    """A value could not be decoded into a Python type; `raw` keeps the server's text."""

    def __init__(self, message: str, raw: bytes | str | None = None) -> None:
        super().__init__(message, raw=raw)
        self.raw = raw


class PlanError(ConfigError):
    """A plan (or a schema source given to the planner) is malformed: wrong format
    version, missing fields, unknown step kind, a `.sql` file that does not parse. Says
    which file and where."""


class PlanRefused(EngineError):
    """Apply or rollback refused to start or to go on: the live schema drifted from the
    plan's source hash, a destructive operation without --allow-destructive, a hazard not
    accepted, a policy said no, or a journal shows another apply in progress. Nothing was
    changed by the refusal itself; `details` says why (e.g. `drift`, `hazards`)."""

    exit_code = 1

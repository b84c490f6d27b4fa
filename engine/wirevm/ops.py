"""Session operations written once, as generators over a sans-IO connection.

psycopg's generators.py is the model: an operation (connect, run a query, ping, change
database, say goodbye) is a generator that drives a `SansIOConnection` and *yields what it
waits for* -- `("send", bytes)`, `("recv",)` or `("starttls", hostname)` -- receiving the
answer (None, the bytes read (b"" at EOF), or a dict of TLS facts) from whoever runs it.
Everything else it yields is output for the caller: `Columns`, `Rows`, `ResultDone`,
`Notice`... events, in order. `driver_sync` runs these over a blocking socket and
`driver_async` over asyncio, so the protocol logic exists once and neither driver knows
which database it talks to.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from engine import errors
from engine.wirevm.contract import SansIOConnection
from engine.wirevm.events import (
    NEED_DATA,
    ConnectionClosed,
    Ready,
    ServerErrorEvent,
    StartTLS,
)

#: What an operation yields to wait for I/O (the first item of the tuple says which).
SEND = "send"
RECV = "recv"
STARTTLS = "starttls"
RECV_WAIT = (RECV,)

Op = Generator[Any, Any, Any]


def next_event(conn: SansIOConnection) -> Op:
    """Flush what the core queued, then return its next event, reading as needed.
    StartTLS is handled here (the driver wraps the transport), never seen by callers."""
    while True:
        event = conn.next_event()
        # Whatever the core queued -- the command, an auth reply produced while consuming
        # a message, the SSLRequest that goes with StartTLS -- leaves before we wait.
        data = conn.data_to_send()
        if data:
            yield (SEND, data)
        if event is NEED_DATA:
            conn.receive_data((yield RECV_WAIT))
            continue
        if type(event) is StartTLS:
            facts = yield (STARTTLS, event.server_hostname)
            conn.tls_started(**facts)
            continue
        return event


def connect_gen(conn: SansIOConnection, errors_map: dict[str, Any] | None = None) -> Op:
    """Run the pack's connect script (TLS, auth) until the server is ready for commands.
    A plain server error here (unknown database, too many connections) means the server
    refused the connection: it surfaces as ConnectError, like a refused socket."""
    try:
        return (yield from _connect_steps(conn, errors_map))
    except errors.ServerError as exc:
        if type(exc) is not errors.ServerError:
            raise
        raise errors.ConnectError(
            str(exc), code=exc.code, sqlstate=exc.sqlstate, fields=exc.fields
        ) from None


def _connect_steps(conn: SansIOConnection, errors_map: dict[str, Any] | None) -> Op:
    conn.start()
    while True:
        event = yield from next_event(conn)
        kind = type(event)
        if kind is Ready:
            return conn.server
        if kind is ServerErrorEvent:
            raise error_from_event(event, errors_map)
        if kind is ConnectionClosed:
            raise errors.ConnectionLost(
                "the server closed the connection during the handshake"
                + (f": {event.reason}" if event.reason else "")
            )
        # ParameterChanged / Notice during startup: the core keeps what it needs.


def results_gen(conn: SansIOConnection, errors_map: dict[str, Any] | None = None) -> Op:
    """After a command was queued: yield its events until the connection is Ready again.
    A server error is raised only once Ready arrived, so the session stays usable."""
    failure: errors.ServerError | None = None
    while True:
        event = yield from next_event(conn)
        kind = type(event)
        if kind is Ready:
            if failure is not None:
                failure.details["after_ready"] = True  # the session is still usable
                raise failure
            return event
        if kind is ServerErrorEvent:
            if failure is None:
                failure = error_from_event(event, errors_map)
            continue
        if kind is ConnectionClosed:
            if failure is not None:  # it said why before hanging up: keep the reason
                raise errors.ConnectionLost(
                    f"the server closed the connection: {failure}", server_error=failure
                )
            raise errors.ConnectionLost(
                "the server closed the connection" + (f": {event.reason}" if event.reason else "")
            )
        if failure is None:
            yield event


def query_gen(conn: SansIOConnection, sql: str, errors_map: dict[str, Any] | None = None) -> Op:
    conn.query(sql)
    return (yield from results_gen(conn, errors_map))


def ping_gen(conn: SansIOConnection, errors_map: dict[str, Any] | None = None) -> Op:
    conn.ping()
    return (yield from results_gen(conn, errors_map))


def init_db_gen(conn: SansIOConnection, name: str, errors_map: dict[str, Any] | None = None) -> Op:
    conn.init_db(name)
    return (yield from results_gen(conn, errors_map))


def terminate_gen(conn: SansIOConnection) -> Op:
    """Queue the goodbye and send it; never waits for an answer (close must be bounded)."""
    conn.terminate()
    data = conn.data_to_send()
    if data:
        yield (SEND, data)


def cancel_bytes_gen(payload: bytes) -> Op:
    """The whole exchange of a cancel-on-a-new-connection: send the bytes, then wait for
    the server to hang up (it answers nothing)."""
    yield (SEND, payload)
    yield RECV_WAIT


# --- errors -----------------------------------------------------------------------------


def _error_class(name: object) -> type[errors.EngineError]:
    cls = getattr(errors, str(name), None)
    if isinstance(cls, type) and issubclass(cls, errors.EngineError):
        return cls
    return errors.ServerError


def error_from_event(
    event: ServerErrorEvent, errors_map: dict[str, Any] | None = None
) -> errors.EngineError:
    """Build the typed error the pack's error mapping names for a server error.

    The mapping is data: `{"AuthError": {"sqlstate": [...], "code": [...]}, ...}`; the core
    may also have classified the error already (`fields["error_class"]`)."""
    name = event.fields.get("error_class") if event.fields else None
    if not name and errors_map:
        for class_name, rule in errors_map.items():
            if not isinstance(rule, dict):
                continue
            if (event.sqlstate and event.sqlstate in rule.get("sqlstate", ())) or (
                event.code is not None and event.code in rule.get("code", ())
            ):
                name = class_name
                break
    cls = _error_class(name)
    message = event.message or "server error"
    if issubclass(cls, errors.ServerError):
        return cls(message, code=event.code, sqlstate=event.sqlstate, fields=event.fields)
    if cls is errors.AuthError:
        return errors.AuthError(message, code=event.code, sqlstate=event.sqlstate)
    if cls is errors.PackError:
        return errors.PackError(message)
    return cls(message, code=event.code, sqlstate=event.sqlstate)

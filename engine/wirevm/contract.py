"""The surface a sans-IO protocol core offers its drivers.

`engine.wirevm.core.WireConnection` implements it by interpreting a compiled wire pack;
`engine.wirevm.driver_sync` / `driver_async` depend only on this Protocol, so the two sides
can be built and tested apart (h11's Connection is the model).
"""

from __future__ import annotations

from typing import Any, Protocol

from engine.wirevm.events import Event, _NeedData


class SansIOConnection(Protocol):
    #: What the handshake revealed, filled as it goes: at least `version` (str),
    #: `thread_id` (MySQL connection id / PostgreSQL backend pid), `caps` (int flags, or
    #: None), `auth_plugin` (name of the method used), `parameters` (dict of
    #: ParameterStatus / session variables), `tls` (dict: version, cipher, cert sha256)
    #: once the driver reported it.
    server: dict[str, Any]

    #: Pack-declared session behaviour the driver needs without naming a family:
    #:   session["use"]    = {"mode": "command"} | {"mode": "reconnect"}
    #:   session["cancel"] = {"mode": "message_on_new_connection"}
    #:                     | {"mode": "side_query", "sql": "KILL QUERY {thread_id}"}
    #:   session["default_port"] = int
    session: dict[str, Any]

    def start(self) -> None:
        """Begin the connect script (queues the first bytes, or waits for a greeting)."""

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the transport; b"" means EOF."""

    def next_event(self) -> Event | _NeedData:
        """Return the next event or NEED_DATA. Never blocks, never does I/O.
        Raises ProtocolError / AuthError / SecurityPolicyError / TLSError (engine.errors);
        after any of those the connection is dead."""

    def data_to_send(self) -> bytes:
        """Drain and return the bytes queued for the server."""

    def tls_started(
        self,
        *,
        secure_channel: bool,
        cert_der: bytes | None = None,
        version: str | None = None,
        cipher: str | None = None,
    ) -> None:
        """The driver finished the TLS handshake asked for by a StartTLS event."""

    def query(self, sql: str) -> None:
        """Queue a text query (may hold several statements). Events follow until Ready."""

    def ping(self) -> None:
        """Queue a liveness check; a Ready (MySQL: after OK) follows."""

    def init_db(self, name: str) -> None:
        """Queue a change of current database where session["use"]["mode"] == "command"."""

    def terminate(self) -> None:
        """Queue the goodbye message; the driver then closes the socket."""

    def cancel_request(self) -> bytes | None:
        """Bytes to send on a *new* connection to cancel the running query, where the pack
        declares that mode; else None."""

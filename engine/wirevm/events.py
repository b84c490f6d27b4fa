"""Events the sans-IO core hands to a driver.

The contract between `engine.wirevm.core.WireConnection` (bytes in, events out, no I/O)
and the drivers (`driver_sync`, `driver_async`) that move bytes, run TLS and keep clocks.
A driver loops: send `data_to_send()`; take `next_event()`; on NEED_DATA read and
`receive_data()`; on StartTLS wrap the socket and call `tls_started()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class _NeedData:
    """Sentinel: the core cannot make progress without more bytes."""

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()


@dataclass(frozen=True, slots=True)
class Column:
    """One result column: its name, the server's type (name when known, else code) and the
    raw metadata the pack exported (type code / OID, charset, flags, table...)."""

    name: str
    type_name: str
    type_code: int
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class StartTLS:
    """Wrap the transport in TLS now (hostname for SNI / verification), then call
    `tls_started`. The core has checked its receive buffer is empty."""

    server_hostname: str | None


@dataclass(frozen=True, slots=True)
class Ready:
    """The connection is idle and accepts a command. `tx_status` is 'I' idle, 'T' in a
    transaction, 'E' failed transaction (or None where the family does not say)."""

    tx_status: str | None = None


@dataclass(frozen=True, slots=True)
class Columns:
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class Rows:
    """A batch of fully decoded rows (tuples), as many as the buffer held."""

    rows: list[tuple]


@dataclass(frozen=True, slots=True)
class ResultDone:
    """One statement's result ended. `rowcount` is affected/returned rows (-1 unknown);
    `more_results` says whether another result of the same command follows."""

    rowcount: int = -1
    last_insert_id: int | None = None
    warnings: int = 0
    command_tag: str | None = None
    more_results: bool = False


@dataclass(frozen=True, slots=True)
class Notice:
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Notification:
    pid: int
    channel: str
    payload: str


@dataclass(frozen=True, slots=True)
class ParameterChanged:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class ServerErrorEvent:
    """The server reported an error for the current command; a Ready follows when the
    connection is usable again. The driver raises `engine.errors.ServerError` then."""

    message: str
    code: int | None
    sqlstate: str | None
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The peer closed the connection (EOF) or the core sent its goodbye."""

    reason: str = ""


Event = (
    StartTLS
    | Ready
    | Columns
    | Rows
    | ResultDone
    | Notice
    | Notification
    | ParameterChanged
    | ServerErrorEvent
    | ConnectionClosed
)

"""NuBlox SQLx engine: speaks database wire protocols itself, learns servers, plans changes.

    from engine import connect
    with connect("postgresql://user:pw@host/db") as s:
        print(s.query("SELECT 1").rows)

Importing this package pulls in no Django, no web app and no client library.
"""

from __future__ import annotations

from engine import errors
from engine.errors import (
    AuthError,
    ConfigError,
    ConnectError,
    ConnectionLost,
    EngineError,
    InterfaceError,
    OperationalError,
    QueryCanceled,
    ServerError,
    TimeoutError,
    TLSError,
)
from engine.results import Result
from engine.session import connect, connect_async
from engine.url import mask_url, parse_url

__all__ = [
    "AuthError",
    "ConfigError",
    "ConnectError",
    "ConnectionLost",
    "EngineError",
    "InterfaceError",
    "OperationalError",
    "QueryCanceled",
    "Result",
    "ServerError",
    "TLSError",
    "TimeoutError",
    "connect",
    "connect_async",
    "errors",
    "mask_url",
    "parse_url",
]

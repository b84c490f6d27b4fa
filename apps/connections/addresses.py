"""What a connection URL points at, read through the engine's registry (no family names here).

Why a module of its own: the model (derived columns), the policy (is this address on this
machine?) and the messages of "Test connection" (host:port or a file path) all need the same
answer, and it must come from `engine.url.parse_url` so it never disagrees with what the
engine will actually dial.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

from engine.flo.probes import load_family
from engine.url import parse_url, scheme_session

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True)
class Address:
    family: str
    host: str  # "" for files and unix sockets
    port: int | None
    username: str
    database: str
    path: str  # the file of a file database, or a unix socket
    is_file: bool  # the URL names a database file (no server, no network)

    @property
    def is_socket(self) -> bool:
        return bool(self.path) and not self.is_file

    @property
    def where(self) -> str:
        """What a person recognises: host:port, or the path of the file or socket."""
        if self.path:
            return self.path
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port else host

    @property
    def is_loopback(self) -> bool:
        """On this machine: a file, a unix socket, 127.0.0.0/8, ::1 or the name localhost.
        Other names count as remote even if they resolve to loopback: DNS can change."""
        if self.path:
            return True
        if self.host.lower() in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


@functools.lru_cache(maxsize=32)
def family_of(scheme: str) -> str:
    """The FLO family a scheme's registry entry leads to (mariadb:// -> its pack's family)."""
    return str(load_family(scheme)["family"])


def describe_url(url: str) -> Address:
    """Parse without a password (none is ever in a stored URL); ConfigError if malformed."""
    cfg = parse_url(url, password="")
    is_file = scheme_session(cfg.scheme).get("url_path") == "file"
    return Address(
        family=family_of(cfg.scheme),
        host="" if cfg.path else (cfg.host or ""),
        port=None if cfg.path and is_file else cfg.port,
        username=cfg.user or "",
        database=cfg.database or "",
        path=cfg.path or "",
        is_file=is_file,
    )

"""What a connection needs to know before it starts: parsed from a URL plus options.

Shared by the sans-IO core (which reads it through the pack's `cfg.*` names) and the
drivers (host, port, timeouts, TLS files). Family knowledge is not here: the pack chosen
from the URL scheme carries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.secret import Secret

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


@dataclass(slots=True)
class ConnectConfig:
    scheme: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: Secret = field(default_factory=lambda: Secret(None))
    database: str | None = None
    path: str | None = None  # file-backed families (sqlite) and unix sockets
    sslmode: str = "prefer"
    sslrootcert: str | None = None  # CA file for verify-ca / verify-full
    sslcert: str | None = None
    sslkey: str | None = None
    channel_binding: str = "prefer"  # disable | prefer | require
    connect_timeout: float = 10.0
    read_timeout: float | None = None  # None: wait as long as the server works
    application_name: str = "sqlx"
    allow_cleartext: bool = False  # send a cleartext password over a non-TLS TCP link
    allow_public_key_retrieval: bool = False  # fetch an RSA key over plaintext
    server_public_key: str | None = None  # pinned RSA public key (PEM path)
    local_infile: bool = False  # always refused in this engine; kept to say so clearly
    max_message: int = 1 << 30
    options: dict[str, Any] = field(default_factory=dict)  # extra pack-specific options

    def __post_init__(self) -> None:
        if self.sslmode not in SSL_MODES:
            from engine.errors import ConfigError

            raise ConfigError(
                f"sslmode must be one of {', '.join(SSL_MODES)}, not {self.sslmode!r}"
            )

    @property
    def tls_required(self) -> bool:
        return self.sslmode in ("require", "verify-ca", "verify-full")

    @property
    def tls_wanted(self) -> bool:
        return self.sslmode in ("prefer", "require", "verify-ca", "verify-full")

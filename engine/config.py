"""What a connection needs to know before it starts: parsed from a URL plus options.

Shared by the sans-IO core (which reads it through the pack's `cfg.*` names) and the
drivers (host, port, timeouts, TLS files). Family knowledge is not here: the pack chosen
from the URL scheme carries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import ConfigError
from engine.secret import Secret

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
PIN_HEX_DIGITS = 64  # SHA-256


def normalize_pin(raw: str) -> str:
    """A certificate pin as 64 lowercase hex digits; colons, spaces and case are tolerated
    because people paste fingerprints from `openssl x509 -fingerprint` (AB:CD:...)."""
    digits = "".join(ch for ch in str(raw) if ch not in ": \t").lower()
    if len(digits) != PIN_HEX_DIGITS or any(ch not in "0123456789abcdef" for ch in digits):
        raise ConfigError(
            "sslpin must be the certificate's SHA-256 fingerprint: 64 hex digits "
            "(colons allowed), e.g. from `openssl x509 -noout -fingerprint -sha256`"
        )
    return digits


def format_pin(digits: str) -> str:
    """64 hex digits -> AB:CD:... (the way openssl and browsers print a fingerprint)."""
    upper = digits.upper()
    return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


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
    sslpin: str | None = None  # SHA-256 of the server certificate (DER), 64 hex digits
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
            raise ConfigError(
                f"sslmode must be one of {', '.join(SSL_MODES)}, not {self.sslmode!r}"
            )
        if self.sslpin is not None:
            self.sslpin = normalize_pin(self.sslpin)
            # A pin is only worth something over TLS: it upgrades allow/prefer to require
            # (so a server that declines TLS is refused) and contradicts disable outright.
            if self.sslmode == "disable":
                raise ConfigError("sslpin needs TLS, but sslmode=disable turns TLS off")
            if self.sslmode in ("allow", "prefer"):
                self.sslmode = "require"

    @property
    def tls_required(self) -> bool:
        return self.sslmode in ("require", "verify-ca", "verify-full")

    @property
    def tls_wanted(self) -> bool:
        return self.sslmode in ("prefer", "require", "verify-ca", "verify-full")

"""Named primitives that wire packs call from their expressions.

Packs are data: they can frame, parse and branch, but anything that needs real computation
(hashes, key derivation, curve arithmetic, certificate parsing, randomness) is a *primitive*
registered here under a stable dotted name such as ``mysql.native_scramble``. The names are
the contract with the packs; the modules behind them are named by what they compute, not by
which database uses them, so a new family reuses them without code changes.

Only primitives may unwrap an `engine.secret.Secret`; everything they return is ready to go
on the wire, and none of their error messages ever includes a password.

Every primitive is also importable as a plain function (see ``__all__``) so the core can
call one directly when that is clearer than a registry lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import PackError

#: name -> callable; filled by the `@primitive` decorator as the submodules import.
PRIMITIVES: dict[str, Callable[..., Any]] = {}


def primitive(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn` under `name`; a duplicate name is a programming error, caught at import."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in PRIMITIVES:
            raise PackError(f"primitive {name!r} registered twice")
        PRIMITIVES[name] = fn
        return fn

    return register


def get_primitive(name: str) -> Callable[..., Any]:
    """The primitive a pack names; an unknown name is a pack error, found at load time."""
    try:
        return PRIMITIVES[name]
    except KeyError:
        raise PackError(f"unknown primitive {name!r}") from None


# Import order only matters for registration; each module registers its own names.
from engine.wirevm.primitives.channel_binding import tls_server_end_point  # noqa: E402
from engine.wirevm.primitives.ed25519 import (  # noqa: E402
    ed25519_public_key,
    ed25519_sign_with_seed,
    mysql_ed25519_sign,
)
from engine.wirevm.primitives.nonce import random_nonce  # noqa: E402
from engine.wirevm.primitives.passwords import (  # noqa: E402
    mysql_cleartext,
    mysql_native_scramble,
    mysql_rsa_encrypt_password,
    mysql_sha2_scramble,
    pg_cleartext,
    pg_md5_password,
)
from engine.wirevm.primitives.saslprep import saslprep, scram_password_bytes  # noqa: E402
from engine.wirevm.primitives.scram import (  # noqa: E402
    scram_client_final,
    scram_client_first,
    scram_respond,
    scram_start,
    scram_verify,
    scram_verify_final,
)

__all__ = [
    "PRIMITIVES",
    "ed25519_public_key",
    "ed25519_sign_with_seed",
    "get_primitive",
    "mysql_cleartext",
    "mysql_ed25519_sign",
    "mysql_native_scramble",
    "mysql_rsa_encrypt_password",
    "mysql_sha2_scramble",
    "pg_cleartext",
    "pg_md5_password",
    "primitive",
    "random_nonce",
    "saslprep",
    "scram_client_final",
    "scram_client_first",
    "scram_password_bytes",
    "scram_respond",
    "scram_start",
    "scram_verify",
    "scram_verify_final",
    "tls_server_end_point",
]

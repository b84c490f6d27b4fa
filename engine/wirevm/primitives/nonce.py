"""Client nonces.

One seam for randomness: SCRAM and any pack that needs fresh bytes call `random_nonce`
through this module's attribute, so a transcript test can monkeypatch
``engine.wirevm.primitives.nonce.random_nonce`` and replay byte-exact exchanges.
"""

from __future__ import annotations

import secrets

from engine.errors import InterfaceError
from engine.wirevm.primitives import primitive


@primitive("random_nonce")
def random_nonce(n: int) -> bytes:
    """`n` cryptographically random bytes (1..1024)."""
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 1024:
        raise InterfaceError("random_nonce: n must be an int in 1..1024")
    return secrets.token_bytes(n)

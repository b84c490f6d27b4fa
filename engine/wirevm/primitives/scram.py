"""The client side of SCRAM (RFC 5802 / RFC 7677), with channel binding (RFC 5929).

SCRAM is the one login whose state must survive between messages, so it is a small
mechanism over plain dicts: `scram_client_first` -> `scram_client_final` ->
`scram_verify_final`, each returning a new state dict the pack keeps in a script variable.
Every check a hostile server could abuse lives here: the server nonce must extend ours, the
iteration count is capped (a server asking for 2^31 rounds would burn CPU), the final server
signature is compared in constant time, and a -PLUS mechanism requires real binding data.

`scram_start` / `scram_respond` / `scram_verify` wrap the same steps with the mechanism
choice and channel-binding policy (disable | prefer | require) for packs that prefer one call
per SASL message. The state never holds the password or the salted password.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from engine.errors import AuthError, ConfigError, InterfaceError, ProtocolError, SecurityPolicyError
from engine.secret import Secret
from engine.wirevm.primitives import nonce as _nonce
from engine.wirevm.primitives import primitive
from engine.wirevm.primitives.channel_binding import tls_server_end_point
from engine.wirevm.primitives.saslprep import scram_password_bytes

#: Mechanism family -> hashlib name; a "-PLUS" suffix means the same hash with binding.
_MECHANISM_HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
#: Preference order when the server offers several (strongest, bound first).
_PREFERENCE = ("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")
_CBIND_TYPES = frozenset({"tls-server-end-point"})
DEFAULT_MAX_ITERATIONS = 600_000
_CNONCE_BYTES = 18


def _hash_for(mechanism: str) -> tuple[str, bool]:
    plus = mechanism.endswith("-PLUS")
    name = _MECHANISM_HASHES.get(mechanism.removesuffix("-PLUS"))
    if name is None:
        raise AuthError(f"unsupported SASL mechanism {mechanism!r}")
    return name, plus


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _unb64(data: str, what: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(f"SCRAM {what} is not valid base64") from None


def _saslname(user: str) -> bytes:
    return user.replace("=", "=3D").replace(",", "=2C").encode("utf-8")


@primitive("scram.client_first")
def scram_client_first(
    user: str, mechanism: str, cbind: dict | None, nonce: bytes | str | None = None
) -> dict[str, Any]:
    """Start a SCRAM exchange; `message` is the client-first message to send.

    `cbind`: None -> "n,," (no TLS or binding disabled); {"type": None} -> "y,," (we could
    bind but the server offered no -PLUS); {"type": "tls-server-end-point", "data": hash}
    -> "p=tls-server-end-point,," (mechanism must be -PLUS). `nonce` fixes the client nonce
    (printable ASCII, no comma) for deterministic transcripts.
    """
    hash_name, plus = _hash_for(mechanism)
    cbind_data = b""
    if cbind is None:
        gs2 = b"n,,"
    elif cbind.get("type") is None:
        gs2 = b"y,,"
    else:
        cb_type = cbind["type"]
        if cb_type not in _CBIND_TYPES:
            raise SecurityPolicyError(f"unsupported channel binding type {cb_type!r}")
        cbind_data = cbind.get("data") or b""
        if not isinstance(cbind_data, bytes) or not cbind_data:
            raise SecurityPolicyError("channel binding requested without binding data")
        gs2 = b"p=" + cb_type.encode("ascii") + b",,"
    if plus != gs2.startswith(b"p="):
        raise SecurityPolicyError(
            f"mechanism {mechanism!r} and channel binding {gs2[:1].decode()!r} disagree"
        )
    if nonce is None:
        cnonce = _b64(_nonce.random_nonce(_CNONCE_BYTES))
    else:
        try:
            cnonce = nonce.encode("ascii") if isinstance(nonce, str) else bytes(nonce)
        except (UnicodeEncodeError, TypeError):
            raise InterfaceError("a SCRAM nonce must be printable ASCII") from None
        if not cnonce or any(b < 0x21 or b > 0x7E or b == 0x2C for b in cnonce):
            raise InterfaceError("a SCRAM nonce must be printable ASCII without commas")
    bare = b"n=" + _saslname(user or "") + b",r=" + cnonce
    message = gs2 + bare
    return {
        "mechanism": mechanism,
        "hash": hash_name,
        "gs2": gs2,
        "cbind_data": cbind_data,
        "client_first_bare": bare,
        "cnonce": cnonce,
        "message": message,
        "first": message,
        "bound": plus,
        "verified": False,
    }


def _parse_server_first(server_first: bytes) -> tuple[bytes, bytes, int]:
    if not isinstance(server_first, bytes | bytearray | memoryview):
        raise ProtocolError("SCRAM server-first message must be bytes")
    raw = bytes(server_first)
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError("SCRAM server-first message is not ASCII") from None
    if text.startswith("e="):
        raise AuthError(f"SCRAM authentication failed: {text[2:80]}")
    if text.startswith("m="):
        raise ProtocolError("SCRAM server-first carries an unsupported mandatory extension")
    attrs = text.split(",")
    if len(attrs) < 3 or [a[:2] for a in attrs[:3]] != ["r=", "s=", "i="]:
        raise ProtocolError("SCRAM server-first message is malformed")
    iterations = attrs[2][2:]
    if not iterations.isdigit() or len(iterations) > 10:
        raise ProtocolError("SCRAM iteration count is not a number")
    return attrs[0][2:].encode("ascii"), _unb64(attrs[1][2:], "salt"), int(iterations)


@primitive("scram.client_final")
def scram_client_final(
    state: dict[str, Any], password: Secret, server_first: bytes, max_iterations: int
) -> dict[str, Any]:
    """Check the server-first message and build the client-final message (with proof)."""
    server_nonce, salt, iterations = _parse_server_first(server_first)
    cnonce = state["cnonce"]
    if not server_nonce.startswith(cnonce) or len(server_nonce) <= len(cnonce):
        raise SecurityPolicyError("SCRAM server nonce does not extend the client nonce")
    if not salt:
        raise ProtocolError("SCRAM salt is empty")
    if iterations < 1:
        raise ProtocolError("SCRAM iteration count must be at least 1")
    if iterations > max_iterations:
        raise SecurityPolicyError(
            f"SCRAM iteration count {iterations} exceeds the limit {max_iterations}"
        )
    hash_name = state["hash"]
    salted = hashlib.pbkdf2_hmac(hash_name, scram_password_bytes(password), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", hash_name)
    stored_key = hashlib.new(hash_name, client_key).digest()
    channel = _b64(state["gs2"] + state["cbind_data"])
    without_proof = b"c=" + channel + b",r=" + server_nonce
    auth_message = b",".join((state["client_first_bare"], bytes(server_first), without_proof))
    signature = hmac.digest(stored_key, auth_message, hash_name)
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    server_key = hmac.digest(salted, b"Server Key", hash_name)
    message = without_proof + b",p=" + _b64(proof)
    return {
        **state,
        "message": message,
        "final": message,
        "server_signature": hmac.digest(server_key, auth_message, hash_name),
    }


@primitive("scram.verify_final")
def scram_verify_final(state: dict[str, Any], server_final: bytes) -> bool:
    """True when the server proved it knows the password; raises otherwise."""
    expected = state.get("server_signature")
    if expected is None:
        raise ProtocolError("SCRAM final message before the server-first message")
    try:
        text = bytes(server_final).decode("ascii")
    except (TypeError, UnicodeDecodeError):
        raise ProtocolError("SCRAM server-final message is not ASCII") from None
    if text.startswith("e="):
        raise AuthError(f"SCRAM authentication failed: {text[2:80]}")
    if not text.startswith("v="):
        raise ProtocolError("SCRAM server-final message is malformed")
    received = _unb64(text[2:].split(",", 1)[0], "server signature")
    if not hmac.compare_digest(received, expected):
        raise SecurityPolicyError("SCRAM server signature does not match: server not trusted")
    return True


# -- one call per SASL message, with mechanism choice and binding policy ---------------------


@primitive("scram.start")
def scram_start(
    mechanisms: list,
    cert_der: bytes | None,
    channel_binding: str = "prefer",
    user: str = "",
    nonce: bytes | str | None = None,
) -> dict[str, Any]:
    """Pick a mechanism from the server's list and start it under the binding policy."""
    if channel_binding not in ("disable", "prefer", "require"):
        raise ConfigError(
            f"channel_binding must be disable, prefer or require: {channel_binding!r}"
        )
    offered = {m.decode("ascii", "replace") if isinstance(m, bytes) else str(m) for m in mechanisms}
    binding = None
    if channel_binding != "disable" and cert_der:
        try:
            binding = tls_server_end_point(cert_der)
        except SecurityPolicyError:
            if channel_binding == "require":
                raise
    plus_ok = binding is not None and "SCRAM-SHA-256-PLUS" in offered
    if channel_binding == "require" and not plus_ok:
        raise SecurityPolicyError(
            "channel binding is required but "
            + ("the link is not TLS" if not cert_der else "the server offers no -PLUS mechanism")
        )
    for mechanism in _PREFERENCE:
        if mechanism not in offered:
            continue
        if mechanism.endswith("-PLUS"):
            if not plus_ok:
                continue
            cbind: dict | None = {"type": "tls-server-end-point", "data": binding}
        else:
            cbind = {"type": None} if binding is not None else None
        return scram_client_first(user, mechanism, cbind, nonce)
    raise AuthError(f"the server offers no supported SASL mechanism: {sorted(offered)}")


@primitive("scram.respond")
def scram_respond(
    state: dict[str, Any],
    server_first: bytes,
    password: Secret,
    max_iterations: int | None = None,
) -> dict[str, Any]:
    """`scram_client_final` with the argument order of the pack's SASLContinue handler."""
    limit = DEFAULT_MAX_ITERATIONS if max_iterations is None else max_iterations
    return scram_client_final(state, password, server_first, limit)


@primitive("scram.verify")
def scram_verify(state: dict[str, Any], server_final: bytes) -> dict[str, Any]:
    """`scram_verify_final`, returning the state with ``verified`` set."""
    scram_verify_final(state, server_final)
    return {**state, "verified": True}

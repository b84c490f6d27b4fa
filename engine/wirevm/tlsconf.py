"""TLS policy shared by both drivers: sslmode -> `ssl.SSLContext`, and what to report.

libpq's sslmode semantics, which MySQL's ssl-mode mirrors: disable/allow/prefer/require
encrypt without checking who answers, unless a CA file is given with `require` (then it
behaves as verify-ca, as libpq does); verify-ca checks the chain; verify-full also checks
the host name. The core is told `secure_channel=True` only for a verified peer, because
only then may it send a cleartext password or trust channel binding.

A pinned fingerprint (`sslpin`) is checked by `check_pin` right after the handshake and
before the driver hands control back to the core, so a mismatch ends the connection before
a user name, let alone a credential, crosses the link; a match is a verified peer.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
from typing import Any

from engine import errors
from engine.config import ConnectConfig, format_pin

VERIFYING_MODES = ("verify-ca", "verify-full")


def build_context(cfg: ConnectConfig) -> tuple[ssl.SSLContext, bool]:
    """Return (context, verifies_peer)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    verify = cfg.sslmode in VERIFYING_MODES or (cfg.sslmode == "require" and cfg.sslrootcert)
    try:
        if verify:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.check_hostname = cfg.sslmode == "verify-full"
            if cfg.sslrootcert:
                ctx.load_verify_locations(cafile=cfg.sslrootcert)
            else:
                ctx.load_default_certs()
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if cfg.sslcert:
            ctx.load_cert_chain(cfg.sslcert, cfg.sslkey)
    except (OSError, ssl.SSLError) as exc:
        raise errors.ConfigError(f"cannot load TLS files: {exc}") from None
    return ctx, bool(verify)


def describe(sock: Any, verified: bool) -> dict[str, Any]:
    """What a finished TLS handshake established (an SSLSocket or an SSLObject)."""
    der = sock.getpeercert(binary_form=True)
    cipher = sock.cipher()
    return {
        "version": sock.version(),
        "cipher": cipher[0] if cipher else None,
        "cert_der": der,
        "cert_sha256": hashlib.sha256(der).hexdigest() if der else None,
        "verified": verified,
    }


def check_pin(cfg: ConnectConfig, tls: dict[str, Any], where: str) -> dict[str, Any]:
    """`tls` (from `describe`) after comparing the certificate with `cfg.sslpin`: a match
    marks the peer verified and pinned; a mismatch raises TLSError (the caller closes)."""
    if not cfg.sslpin:
        return tls
    seen = tls.get("cert_sha256")
    if not seen:
        raise errors.TLSError(
            f"{where} presented no certificate, but its SHA-256 fingerprint is pinned to "
            f"{format_pin(cfg.sslpin)}"
        )
    if not hmac.compare_digest(seen, cfg.sslpin):
        raise errors.TLSError(
            f"the server certificate's SHA-256 fingerprint {format_pin(seen)} at {where} "
            f"does not match the pinned {format_pin(cfg.sslpin)}"
        )
    return {**tls, "verified": True, "pinned": True}


def facts_for_core(tls: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `SansIOConnection.tls_started`."""
    return {
        "secure_channel": bool(tls["verified"]),
        "cert_der": tls["cert_der"],
        "version": tls["version"],
        "cipher": tls["cipher"],
    }


def public_view(tls: dict[str, Any] | None) -> dict[str, Any] | None:
    """The TLS facts safe to show (`Session.server["tls"]`): no raw certificate."""
    if not tls:
        return None
    view = {k: tls[k] for k in ("version", "cipher", "cert_sha256", "verified")}
    view["pinned"] = bool(tls.get("pinned"))
    return view


def handshake_error(exc: OSError, where: str) -> errors.EngineError:
    """What a failed TLS handshake means, in the engine's typed errors (both drivers)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason
        return errors.TLSError(f"the server certificate of {where} did not verify: {reason}")
    if isinstance(exc, ssl.SSLError):
        return errors.TLSError(f"TLS handshake with {where} failed: {exc}")
    if isinstance(exc, TimeoutError):
        return errors.TimeoutError(f"TLS handshake with {where} timed out")
    return errors.ConnectionLost(f"connection to {where} lost during the TLS handshake: {exc}")

"""RFC 5929 `tls-server-end-point` channel binding data.

SCRAM-…-PLUS binds the login to the TLS session by hashing the server's certificate with the
hash of the certificate's own signature algorithm (MD5 and SHA-1 upgraded to SHA-256,
RFC 5929 §4.1). Certificates signed with Ed25519/Ed448 have no such hash, so no binding is
defined: refusing here lets `channel_binding=require` fail closed instead of silently
falling back to an unbound login.
"""

from __future__ import annotations

import hashlib

from engine.errors import SecurityPolicyError, TLSError
from engine.wirevm.primitives import primitive

# cryptography's hash names -> hashlib names; weak hashes upgrade to SHA-256 by the RFC.
_HASHES = {
    "md5": "sha256",
    "sha1": "sha256",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha3-224": "sha3_224",
    "sha3-256": "sha3_256",
    "sha3-384": "sha3_384",
    "sha3-512": "sha3_512",
}


@primitive("tls.server_end_point")
def tls_server_end_point(cert_der: bytes) -> bytes:
    """Hash of the DER certificate for `p=tls-server-end-point` channel binding."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm

    if not isinstance(cert_der, bytes | bytearray | memoryview) or not cert_der:
        raise TLSError("no server certificate to bind to")
    cert_der = bytes(cert_der)
    try:
        cert = x509.load_der_x509_certificate(cert_der)
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm as exc:
        raise SecurityPolicyError(
            "the server certificate's signature algorithm has no channel binding"
        ) from exc
    except ValueError as exc:
        raise TLSError("the server certificate could not be parsed") from exc
    if algorithm is None:  # Ed25519 / Ed448: RFC 5929 defines no hash
        raise SecurityPolicyError(
            "channel binding is undefined for a certificate signed with Ed25519/Ed448"
        )
    name = _HASHES.get(algorithm.name)
    if name is None:
        raise SecurityPolicyError(f"no channel binding for certificate hash {algorithm.name!r}")
    return hashlib.new(name, cert_der).digest()

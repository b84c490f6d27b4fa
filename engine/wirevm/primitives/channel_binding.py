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


#: DER bodies of the common signature algorithm OIDs -> hashlib names (RFC 5929 upgrades
#: applied): RSA PKCS#1 v1.5 (1.2.840.113549.1.1.x) and ECDSA (1.2.840.10045.4.x)
_COMMON_OIDS = {
    bytes.fromhex("2a864886f70d010104"): "sha256",  # md5WithRSAEncryption
    bytes.fromhex("2a864886f70d010105"): "sha256",  # sha1WithRSAEncryption
    bytes.fromhex("2a864886f70d01010b"): "sha256",
    bytes.fromhex("2a864886f70d01010c"): "sha384",
    bytes.fromhex("2a864886f70d01010d"): "sha512",
    bytes.fromhex("2a864886f70d01010e"): "sha224",
    bytes.fromhex("2a8648ce3d0401"): "sha256",  # ecdsa-with-SHA1
    bytes.fromhex("2a8648ce3d040301"): "sha224",
    bytes.fromhex("2a8648ce3d040302"): "sha256",
    bytes.fromhex("2a8648ce3d040303"): "sha384",
    bytes.fromhex("2a8648ce3d040304"): "sha512",
}


def _tlv(der: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at `pos`; ValueError if cut."""
    tag, first = der[pos], der[pos + 1]
    if first < 0x80:
        start, length = pos + 2, first
    else:
        width = first & 0x7F
        if not 1 <= width <= 4:
            raise ValueError("DER length")
        start = pos + 2 + width
        length = int.from_bytes(der[pos + 2 : start], "big")
    if start + length > len(der):
        raise ValueError("DER element runs past the end")
    return tag, start, start + length


def _common_hash(der: bytes) -> str | None:
    """The hash of a certificate signed with a common algorithm, read from the outer DER
    structure (Certificate = SEQUENCE {tbs SEQUENCE, AlgorithmIdentifier, BIT STRING});
    None for anything else, which the full parser then decides. Spares a login the
    import of cryptography's X.509 module (a tenth of a short command's start)."""
    try:
        tag, start, end = _tlv(der, 0)
        if tag != 0x30 or end != len(der):
            return None
        tag, _, pos = _tlv(der, start)  # tbsCertificate
        if tag != 0x30:
            return None
        tag, alg_start, alg_end = _tlv(der, pos)  # signatureAlgorithm
        if tag != 0x30:
            return None
        tag, oid_start, oid_end = _tlv(der, alg_start)
        if tag != 0x06:
            return None
        if oid_end != alg_end and der[oid_end:alg_end] != b"\x05\x00":  # NULL parameters
            return None
        tag, _, sig_end = _tlv(der, alg_end)  # signatureValue
        if tag != 0x03 or sig_end != end:
            return None
        return _COMMON_OIDS.get(der[oid_start:oid_end])
    except (IndexError, ValueError):
        return None


@primitive("tls.server_end_point")
def tls_server_end_point(cert_der: bytes) -> bytes:
    """Hash of the DER certificate for `p=tls-server-end-point` channel binding."""
    if isinstance(cert_der, bytes | bytearray | memoryview) and cert_der:
        common = _common_hash(bytes(cert_der))
        if common is not None:
            return hashlib.new(common, bytes(cert_der)).digest()
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

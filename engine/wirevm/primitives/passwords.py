"""Password transforms for challenge/response logins that need only hashes and RSA.

Each function takes the password as an `engine.secret.Secret` and returns the exact bytes the
pack puts in the response field. Formulas (WIREVM.md §1.1, §1.2):

* native scramble:  SHA1(p) XOR SHA1(nonce + SHA1(SHA1(p)))
* sha2 scramble:    SHA256(p) XOR SHA256(SHA256(SHA256(p)) + nonce)
* RSA full auth:    RSA-OAEP(SHA-1, MGF1-SHA-1)((p + NUL) XOR nonce repeated)
* md5 password:     "md5" + hex(MD5(hex(MD5(p + user)) + salt))

An empty password gives an empty scramble, as the servers expect. The nonce is used exactly as
given: the pack is responsible for cutting a greeting's 21-byte scramble to its 20 bytes.
"""

from __future__ import annotations

import hashlib
from itertools import cycle

from engine.errors import ConfigError, InterfaceError, ProtocolError
from engine.secret import Secret
from engine.wirevm.primitives import primitive


def password_bytes(password: Secret | None) -> bytes:
    """The UTF-8 bytes of a Secret (None or an unset Secret mean no password).

    Plain str/bytes are refused so a password can never travel the engine unwrapped.
    """
    if password is None:
        return b""
    if not isinstance(password, Secret):
        raise InterfaceError("a password must be passed as engine.secret.Secret")
    return password.reveal_bytes()


def _xor(a: bytes, b: bytes) -> bytes:
    """XOR of two equal-length byte strings, through int arithmetic (fast in C)."""
    n = len(a)
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(n, "big")


def _bytes_arg(value: object, what: str) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InterfaceError(f"{what} must be bytes, not {type(value).__name__}")


@primitive("mysql.native_scramble")
def mysql_native_scramble(password: Secret, nonce: bytes) -> bytes:
    p = password_bytes(password)
    if not p:
        return b""
    nonce = _bytes_arg(nonce, "nonce")
    stage1 = hashlib.sha1(p).digest()
    stage2 = hashlib.sha1(stage1).digest()
    return _xor(stage1, hashlib.sha1(nonce + stage2).digest())


@primitive("mysql.sha2_scramble")
def mysql_sha2_scramble(password: Secret, nonce: bytes) -> bytes:
    p = password_bytes(password)
    if not p:
        return b""
    nonce = _bytes_arg(nonce, "nonce")
    p1 = hashlib.sha256(p).digest()
    p2 = hashlib.sha256(p1).digest()
    return _xor(p1, hashlib.sha256(p2 + nonce).digest())


def _no_nul(p: bytes) -> bytes:
    # A NUL inside the password would silently truncate it on the server side.
    if b"\0" in p:
        raise ConfigError("the password contains a NUL byte, which this login cannot carry")
    return p


@primitive("mysql.cleartext")
def mysql_cleartext(password: Secret) -> bytes:
    """Password + NUL, for full auth over a secure channel (the pack checks that first)."""
    return _no_nul(password_bytes(password)) + b"\0"


@primitive("pg.cleartext")
def pg_cleartext(password: Secret) -> bytes:
    """Password bytes without terminator: the PasswordMessage field is itself a C string."""
    return _no_nul(password_bytes(password))


@primitive("pg.md5_password")
def pg_md5_password(password: Secret, user: str, salt: bytes) -> bytes:
    p = password_bytes(password)
    salt = _bytes_arg(salt, "salt")
    if len(salt) != 4:
        raise ProtocolError("md5 salt must be 4 bytes")
    u = user.encode("utf-8") if isinstance(user, str) else _bytes_arg(user, "user")
    inner = hashlib.md5(p + u).hexdigest().encode("ascii")
    return b"md5" + hashlib.md5(inner + salt).hexdigest().encode("ascii")


@primitive("mysql.rsa_encrypt_password")
def mysql_rsa_encrypt_password(password: Secret, nonce: bytes, public_key_pem: bytes) -> bytes:
    """Encrypt (p + NUL) XOR nonce-cycled with the server's RSA key (PEM, SPKI or PKCS#1)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    nonce = _bytes_arg(nonce, "nonce")
    if not nonce:
        raise ProtocolError("RSA password encryption needs a non-empty nonce")
    pem = _bytes_arg(public_key_pem, "public key")
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ProtocolError("the server public key is not a valid PEM key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ProtocolError("the server public key is not an RSA key")
    plain = password_bytes(password) + b"\0"
    masked = bytes(a ^ b for a, b in zip(plain, cycle(nonce), strict=False))
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    try:
        return key.encrypt(masked, oaep)
    except ValueError as exc:  # password longer than the key can carry
        raise ConfigError("the password is too long for the server's RSA key") from exc

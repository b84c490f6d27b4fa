"""Ed25519 signing with an arbitrary-length seed (MariaDB's `client_ed25519` login).

MariaDB's plugin treats the *password* as the Ed25519 seed, whatever its length:
``h = SHA512(p)``, scalar ``a = clamp(h[:32])``, nonce prefix ``h[32:]``, then RFC 8032
signing. For a 32-byte seed this is exactly standard Ed25519, which is how it is tested
(RFC 8032 vector 1); for other lengths no library API accepts the seed, so the curve
arithmetic is done here in pure Python. One signature per login: a few milliseconds is fine.

Only the fixed base point is ever multiplied, so `_BASE_POWERS` holds 2^i·B for every bit
and a multiplication is at most 253 additions with no doublings.
"""

from __future__ import annotations

import hashlib

from engine.errors import InterfaceError
from engine.secret import Secret
from engine.wirevm.primitives import primitive
from engine.wirevm.primitives.passwords import password_bytes

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_D2 = 2 * _D % _P

# Extended homogeneous coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z.
_Point = tuple[int, int, int, int]
_IDENTITY: _Point = (0, 1, 1, 0)


def _base_point() -> _Point:
    y = 4 * pow(5, _P - 2, _P) % _P
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    if x & 1:  # the base point has the even x
        x = _P - x
    return (x, y, 1, x * y % _P)


def _add(p: _Point, q: _Point) -> _Point:
    """RFC 8032 §5.1.4 unified addition."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = t1 * _D2 * t2 % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _powers_of_base() -> list[_Point]:
    powers = [_base_point()]
    for _ in range(254):
        powers.append(_add(powers[-1], powers[-1]))
    return powers


_BASE_POWERS: list[_Point] = _powers_of_base()


def _base_mult(k: int) -> _Point:
    acc = _IDENTITY
    i = 0
    while k:
        if k & 1:
            acc = _add(acc, _BASE_POWERS[i])
        k >>= 1
        i += 1
    return acc


def _encode(pt: _Point) -> bytes:
    x, y, z, _ = pt
    zinv = pow(z, _P - 2, _P)
    x, y = x * zinv % _P, y * zinv % _P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _expand(seed: bytes) -> tuple[int, bytes]:
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8  # clamp: clear the 3 low bits and bit 255
    a |= 1 << 254
    return a, h[32:]


def ed25519_public_key(seed: bytes) -> bytes:
    """The 32-byte public key A = a·B for `seed` (any length)."""
    a, _ = _expand(_seed_bytes(seed))
    return _encode(_base_mult(a))


def ed25519_sign_with_seed(seed: bytes, message: bytes) -> bytes:
    """RFC 8032 signature R || S of `message` with the key expanded from `seed`."""
    seed = _seed_bytes(seed)
    message = _seed_bytes(message)
    a, prefix = _expand(seed)
    pub = _encode(_base_mult(a))
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), "little") % _L
    big_r = _encode(_base_mult(r))
    k = int.from_bytes(hashlib.sha512(big_r + pub + message).digest(), "little") % _L
    s = (r + k * a) % _L
    return big_r + s.to_bytes(32, "little")


def _seed_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InterfaceError("ed25519 inputs must be bytes")


@primitive("mysql.ed25519_sign")
def mysql_ed25519_sign(password: Secret, nonce: bytes) -> bytes:
    """The 64-byte `client_ed25519` response to the server's 32-byte challenge."""
    return ed25519_sign_with_seed(password_bytes(password), nonce)

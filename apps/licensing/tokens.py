"""License tokens: JWTs signed with Ed25519 (EdDSA), issued by NuBlox, verified anywhere.

Nothing here imports Django: a desktop or air-gapped install verifies a token with only
the issuer's public key, the token and the clock (`verify_token` is a pure function of the
three). Every refusal is a `LicenseInvalid` whose `reason` is written for the person who
pasted the token, because a license that silently does nothing is worse than a clear no.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ISSUER = "nublox-sqlx"
ALGORITHM = "EdDSA"
PLANS = ("free", "pro", "enterprise")
ENTITLEMENTS = {
    "online_apply": "Online apply (changes applied without blocking writers)",
    "approvals": "Approvals (plans need a second person before they are applied)",
    "compliance_modes": "Compliance modes",
    "agents": "Agents",
    "audit_export": "Signed audit export",
}
#: What each plan includes when the issuer does not list entitlements one by one; also
#: the answer to "which plan do I need for X" (the cheapest plan listing it).
PLAN_ENTITLEMENTS = {
    "free": (),
    "pro": ("online_apply", "approvals", "audit_export"),
    "enterprise": tuple(ENTITLEMENTS),
}
_REQUIRED = ("iss", "sub", "jti", "iat", "nbf", "exp", "plan", "seats", "entitlements")


class LicenseInvalid(Exception):
    """A token this install will not honour; `reason` says why in a sentence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LicenseClaims:
    workspace: str
    plan: str
    seats: int
    entitlements: frozenset[str]
    not_before: datetime
    expires_at: datetime
    issued_at: datetime
    jti: str
    audience: str | None = None


def plan_for(entitlement: str) -> str:
    """The cheapest plan that includes `entitlement` (for "upgrade to ..." messages)."""
    return next((p for p in PLANS if entitlement in PLAN_ENTITLEMENTS[p]), PLANS[-1])


def load_private_key(pem: str | bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(_bytes(pem), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the license issuer key must be an Ed25519 private key")
    return key


def load_public_keys(pem: str | bytes) -> list[Ed25519PublicKey]:
    """Every public key in a PEM text: several blocks let an install trust old and new keys."""
    text = _bytes(pem).decode("ascii", "replace")
    marker = "-----END PUBLIC KEY-----"
    blocks = [b.strip() + "\n" + marker for b in text.split(marker) if b.strip()]
    keys = [serialization.load_pem_public_key(b.encode()) for b in blocks]
    if not keys or not all(isinstance(k, Ed25519PublicKey) for k in keys):
        raise ValueError("the license public key must be one or more Ed25519 public keys (PEM)")
    return keys


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def issue_token(
    private_key: Ed25519PrivateKey | str | bytes,
    workspace_slug: str,
    plan: str,
    seats: int,
    entitlements: Iterable[str],
    valid_from: datetime,
    valid_until: datetime,
    *,
    audience: str | None = None,
) -> str:
    """Sign a license for one workspace. Raises ValueError for a license that makes no sense."""
    if not isinstance(private_key, Ed25519PrivateKey):
        private_key = load_private_key(private_key)
    entitlements = sorted(set(entitlements))
    _check_terms(plan, seats, entitlements, ValueError)
    if not workspace_slug:
        raise ValueError("a license names the workspace it is for")
    if valid_until <= valid_from:
        raise ValueError("a license must end after it starts")
    claims = {
        "iss": ISSUER,
        "sub": workspace_slug,
        "jti": str(uuid.uuid4()),
        "iat": int(datetime.now(UTC).timestamp()),
        "nbf": int(valid_from.timestamp()),
        "exp": int(valid_until.timestamp()),
        "plan": plan,
        "seats": seats,
        "entitlements": entitlements,
    }
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"typ": "JWT"})


def verify_token(
    token: str,
    public_keys: Iterable[Ed25519PublicKey],
    workspace_slug: str,
    now: datetime,
    *,
    audience: str | None = None,
) -> LicenseClaims:
    """The claims of a token signed by one of `public_keys` for this workspace, valid at `now`."""
    token = "".join(token.split())
    _check_header(token)
    claims = _signed_claims(token, list(public_keys))
    _check_shape(claims)
    _check_terms(claims["plan"], claims["seats"], claims["entitlements"], LicenseInvalid)
    if claims["sub"] != workspace_slug:
        raise LicenseInvalid(
            f"This license is for the workspace “{claims['sub']}”, not “{workspace_slug}”."
        )
    aud = claims.get("aud")
    if aud is not None and aud != audience:
        raise LicenseInvalid(f"This license is for the installation “{aud}”, not this one.")
    stamp = now.timestamp()
    if stamp < claims["nbf"]:
        raise LicenseInvalid(f"This license is not valid yet: it starts {_when(claims['nbf'])}.")
    if stamp >= claims["exp"]:
        raise LicenseInvalid(f"This license expired {_when(claims['exp'])}.")
    return LicenseClaims(
        workspace=claims["sub"],
        plan=claims["plan"],
        seats=claims["seats"],
        entitlements=frozenset(claims["entitlements"]),
        not_before=_time(claims["nbf"]),
        expires_at=_time(claims["exp"]),
        issued_at=_time(claims["iat"]),
        jti=claims["jti"],
        audience=aud,
    )


def _check_header(token: str) -> None:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise LicenseInvalid(
            "This is not a license token (it should be three base64 parts joined by dots); "
            "paste the whole token you were sent."
        ) from None
    alg = header.get("alg")
    if alg != ALGORITHM:
        unsigned = str(alg).lower() == "none"
        raise LicenseInvalid(
            ("This token is unsigned" if unsigned else f"This token is signed with {alg}")
            + f", not {ALGORITHM} (Ed25519): only tokens signed by the license issuer count."
        )


def _signed_claims(token: str, public_keys: list[Ed25519PublicKey]) -> dict:
    if not public_keys:
        raise LicenseInvalid(
            "This installation has no key to verify licenses with (set NUBLOX_LICENSE_PUBLIC_KEY)."
        )
    # Times and audience are checked by verify_token against the caller's clock and install.
    options = {"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False}
    for key in public_keys:
        try:
            return jwt.decode(token, key, algorithms=[ALGORITHM], options=options)
        except jwt.InvalidSignatureError:
            continue
        except jwt.InvalidTokenError:
            raise LicenseInvalid(
                "This license token is damaged or malformed; paste it again in full."
            ) from None
    raise LicenseInvalid(
        "The license signature does not match: the token was changed after it was issued, "
        "or it was signed by a different issuer."
    )


def _check_shape(claims: dict) -> None:
    missing = [name for name in _REQUIRED if name not in claims]
    if missing:
        raise LicenseInvalid(f"This license token lacks {', '.join(missing)}; ask for a new one.")
    if claims["iss"] != ISSUER:
        raise LicenseInvalid(f"This token was issued by “{claims['iss']}”, not by {ISSUER}.")
    texts = ("sub", "jti", "plan")
    numbers = ("iat", "nbf", "exp")
    if (
        not all(isinstance(claims[n], str) for n in texts)
        or not all(_is_int(claims[n]) for n in (*numbers, "seats"))
        or not isinstance(claims["entitlements"], list)
        or not all(isinstance(e, str) for e in claims["entitlements"])
        or ("aud" in claims and not isinstance(claims["aud"], str))
    ):
        raise LicenseInvalid("This license token is malformed (a claim has the wrong type).")


def _check_terms(plan, seats, entitlements, error: type[Exception]) -> None:
    if plan not in PLANS:
        raise error(f"Unknown plan “{plan}” (known plans: {', '.join(PLANS)}).")
    if not _is_int(seats) or seats < 1:
        raise error(f"A license needs at least one seat (got {seats!r}).")
    unknown = sorted(set(entitlements) - set(ENTITLEMENTS))
    if unknown:
        raise error(
            f"Unknown entitlement {', '.join(unknown)} "
            f"(known: {', '.join(ENTITLEMENTS)}); this install may be older than the license."
        )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bytes(pem: str | bytes) -> bytes:
    return pem.encode() if isinstance(pem, str) else pem


def _time(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def _when(stamp: int) -> str:
    return f"on {_time(stamp):%Y-%m-%d at %H:%M} UTC"


def main(argv: list[str] | None = None) -> int:
    """`python -m apps.licensing.tokens`: check a token offline, with no Django and no database."""
    parser = argparse.ArgumentParser(
        prog="python -m apps.licensing.tokens",
        description="Verify a NuBlox SQLx license token offline.",
        epilog="example: python -m apps.licensing.tokens --public-key issuer.pub "
        '--workspace acme "$(cat acme.license)"',
    )
    parser.add_argument("token", help="the license token (a JWT)")
    parser.add_argument("--public-key", required=True, help="file with the issuer public key (PEM)")
    parser.add_argument("--workspace", required=True, help="slug of the workspace it must be for")
    parser.add_argument("--audience", help="installation name, if the license names one")
    args = parser.parse_args(argv)
    try:
        with open(args.public_key, "rb") as fh:
            keys = load_public_keys(fh.read())
        claims = verify_token(
            args.token, keys, args.workspace, datetime.now(UTC), audience=args.audience
        )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except LicenseInvalid as exc:
        print(f"refused: {exc.reason}", file=sys.stderr)
        return 1
    print(
        f"valid: {claims.plan} plan for {claims.workspace}, {claims.seats} seats, "
        f"entitlements: {', '.join(sorted(claims.entitlements)) or 'none'}, "
        f"until {claims.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

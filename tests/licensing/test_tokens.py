"""Token cases, on the pure (Django-free) functions: each refusal carries a clear reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from apps.licensing.tokens import (
    LicenseInvalid,
    issue_token,
    load_public_keys,
    plan_for,
    public_pem,
    verify_token,
)
from tests.licensing.conftest import NOW

KEY = Ed25519PrivateKey.generate()
PUBLIC = [KEY.public_key()]
START = NOW - timedelta(days=1)
END = NOW + timedelta(days=30)


def _token(slug="acme", plan="pro", seats=25, ents=("approvals",), start=START, end=END, **kw):
    return issue_token(KEY, slug, plan, seats, ents, start, end, **kw)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> list[str]:
    return token.split(".")


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _refused(token: str, *, slug="acme", keys=PUBLIC, now=NOW, audience=None) -> str:
    with pytest.raises(LicenseInvalid) as info:
        verify_token(token, keys, slug, now, audience=audience)
    return info.value.reason


def _signed(claims: dict) -> str:
    return jwt.encode(claims, KEY, algorithm="EdDSA")


def test_a_valid_token_gives_its_claims():
    claims = verify_token(_token(), PUBLIC, "acme", NOW)
    assert (claims.workspace, claims.plan, claims.seats) == ("acme", "pro", 25)
    assert claims.entitlements == frozenset({"approvals"})
    assert claims.not_before == START and claims.expires_at == END
    assert len(claims.jti) == 36
    assert jwt.get_unverified_header(_token())["alg"] == "EdDSA"


def test_the_claims_are_the_documented_ones():
    claims = _claims(_token(audience="studio.example.com"))
    assert set(claims) == {
        "iss", "sub", "aud", "jti", "iat", "nbf", "exp", "plan", "seats", "entitlements"
    }  # fmt: skip
    assert claims["iss"] == "nublox-sqlx" and claims["sub"] == "acme"


def test_whitespace_from_pasting_is_ignored():
    token = _token()
    wrapped = "\n  ".join(token[i : i + 60] for i in range(0, len(token), 60))
    assert verify_token(f"  {wrapped}\n", PUBLIC, "acme", NOW).plan == "pro"


def test_tampered_payload_is_refused():
    header, payload, signature = _parts(_token(seats=5))
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["seats"] = 5000
    forged = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    assert "signature does not match" in _refused(forged)


def test_tampered_signature_is_refused():
    header, payload, signature = _parts(_token())
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[0] ^= 1
    assert "signature does not match" in _refused(".".join([header, payload, _b64(bytes(raw))]))


def test_a_token_signed_with_another_key_is_refused():
    other = Ed25519PrivateKey.generate()
    token = issue_token(other, "acme", "pro", 5, [], START, END)
    assert "different issuer" in _refused(token)


def test_expired_says_when():
    start = datetime(2026, 4, 1, tzinfo=UTC)
    reason = _refused(_token(start=start, end=datetime(2026, 5, 2, 9, 30, tzinfo=UTC)))
    assert reason == "This license expired on 2026-05-02 at 09:30 UTC."


def test_not_yet_valid_says_from_when():
    start = datetime(2026, 7, 1, tzinfo=UTC)
    reason = _refused(_token(start=start, end=start + timedelta(days=1)))
    assert reason == "This license is not valid yet: it starts on 2026-07-01 at 00:00 UTC."


def test_for_another_workspace_says_which():
    reason = _refused(_token(slug="globex"))
    assert reason == "This license is for the workspace “globex”, not “acme”."


def test_alg_none_is_refused():
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _parts(_token(seats=9999))[1]
    reason = _refused(f"{header}.{payload}.")
    assert reason.startswith("This token is unsigned")


def test_hs256_with_the_public_key_as_the_secret_is_refused():
    """The classic key-confusion attack: HMAC keyed with the (public) verification key."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _parts(_token(seats=9999))[1]
    secret = public_pem(KEY).encode()
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    reason = _refused(f"{header}.{payload}.{_b64(mac)}")
    assert reason.startswith("This token is signed with HS256, not EdDSA")


@pytest.mark.parametrize("garbage", ["", "hello", "a.b.c", "not a token at all"])
def test_malformed_tokens_are_refused_clearly(garbage):
    reason = _refused(garbage)
    assert "not a license token" in reason or "damaged" in reason


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"plan": "platinum"}, "Unknown plan “platinum”"),
        ({"entitlements": ["teleport"]}, "Unknown entitlement teleport"),
        ({"seats": 0}, "at least one seat"),
        ({"seats": "25"}, "malformed"),
        ({"iss": "someone-else"}, "issued by “someone-else”"),
        ({"entitlements": "approvals"}, "malformed"),
    ],
)
def test_signed_but_unacceptable_claims(change, expected):
    claims = {**_claims(_token()), **change}
    assert expected in _refused(_signed(claims))


def test_missing_claims_are_named():
    claims = _claims(_token())
    del claims["exp"], claims["seats"]
    assert _refused(_signed(claims)) == "This license token lacks exp, seats; ask for a new one."


def test_audience_binds_a_token_to_one_installation():
    token = _token(audience="studio.acme.com")
    assert verify_token(token, PUBLIC, "acme", NOW, audience="studio.acme.com").audience
    assert "installation “studio.acme.com”" in _refused(token, audience="localhost")
    assert verify_token(_token(), PUBLIC, "acme", NOW, audience="localhost").audience is None


def test_several_public_keys_let_an_install_trust_old_and_new_issuers():
    new = Ed25519PrivateKey.generate()
    keys = load_public_keys(public_pem(KEY) + public_pem(new))
    token = issue_token(new, "acme", "pro", 5, [], START, END)
    assert verify_token(token, keys, "acme", NOW).seats == 5
    assert verify_token(_token(), keys, "acme", NOW).seats == 25


def test_no_verification_key_is_said_so():
    assert "no key to verify licenses" in _refused(_token(), keys=[])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("acme", "gold", 5, []), "Unknown plan"),
        (("acme", "pro", 0, []), "at least one seat"),
        (("acme", "pro", 5, ["teleport"]), "Unknown entitlement"),
        (("", "pro", 5, []), "names the workspace"),
    ],
)
def test_issuing_refuses_nonsense(args, message):
    with pytest.raises(ValueError, match=message):
        issue_token(KEY, *args, START, END)
    with pytest.raises(ValueError, match="end after it starts"):
        issue_token(KEY, "acme", "pro", 5, [], END, START)


def test_plan_for_names_the_cheapest_plan():
    assert plan_for("approvals") == "pro"
    assert plan_for("agents") == "enterprise"


def test_the_token_module_needs_no_django(tmp_path):
    """An offline install verifies with `python -m apps.licensing.tokens` and no settings."""
    (tmp_path / "pub.pem").write_text(public_pem(KEY))
    root = Path(__file__).resolve().parents[2]
    now = datetime.now(UTC)
    token = issue_token(KEY, "acme", "pro", 7, ["agents"], now - timedelta(1), now + timedelta(9))
    probe = (
        "import sys, apps.licensing.tokens as t; "
        "assert not [m for m in sys.modules if m.startswith('django')], 'django imported'; "
        "sys.exit(t.main(sys.argv[1:]))"
    )
    run = [sys.executable, "-c", probe, "--public-key", str(tmp_path / "pub.pem")]
    ok = subprocess.run([*run, "--workspace", "acme", token], cwd=root, capture_output=True)
    assert ok.returncode == 0, ok.stderr
    assert b"valid: pro plan for acme, 7 seats, entitlements: agents" in ok.stdout
    bad = subprocess.run([*run, "--workspace", "globex", token], cwd=root, capture_output=True)
    assert bad.returncode == 1
    assert "for the workspace “acme”, not “globex”" in bad.stderr.decode()

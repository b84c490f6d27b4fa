"""Auth primitives: published vectors, independent oracles, and real logins.

Each primitive is checked against something it does not share code with: RFC vectors
(SCRAM RFC 7677, Ed25519 RFC 8032), PyMySQL's own scramble functions, the `cryptography`
package (RSA decryption, Ed25519 verification, certificates), and finally the live servers,
which accept or refuse a login built from these primitives by a raw handshake in this file.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import socket
import ssl
import struct
import subprocess
import uuid
from urllib.parse import unquote, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st
from pymysql import _auth as pymysql_auth

from engine.errors import (
    AuthError,
    ConfigError,
    DataError,
    InterfaceError,
    PackError,
    ProtocolError,
    SecurityPolicyError,
    TLSError,
)
from engine.secret import Secret
from engine.wirevm import primitives as prim
from engine.wirevm.primitives import nonce as nonce_module
from tests._services import mariadb_connect

# -- registry ---------------------------------------------------------------------------------

BRIEF_NAMES = [
    "mysql.native_scramble",
    "mysql.sha2_scramble",
    "mysql.cleartext",
    "mysql.rsa_encrypt_password",
    "mysql.ed25519_sign",
    "pg.md5_password",
    "pg.cleartext",
    "scram.client_first",
    "scram.client_final",
    "scram.verify_final",
    "tls.server_end_point",
    "saslprep",
    "scram_password_bytes",
    "random_nonce",
]


@pytest.mark.parametrize("name", BRIEF_NAMES)
def test_registry_has_every_contract_name(name):
    assert callable(prim.get_primitive(name))
    assert prim.PRIMITIVES[name] is prim.get_primitive(name)


def test_unknown_primitive_is_a_pack_error():
    with pytest.raises(PackError, match=r"no\.such"):
        prim.get_primitive("no.such")


def test_passwords_must_be_secrets():
    with pytest.raises(InterfaceError):
        prim.mysql_native_scramble("plain", b"x" * 20)
    with pytest.raises(InterfaceError):
        prim.pg_md5_password(b"plain", "u", b"salt")


# -- SCRAM: RFC 7677 vector and RFC 5802 failure cases ----------------------------------------

RFC7677_CNONCE = b"rOprNGfwEbeRWgbNEkqO"
RFC7677_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC7677_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC7677_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def _rfc_state():
    return prim.scram_client_first("user", "SCRAM-SHA-256", None, nonce=RFC7677_CNONCE)


def test_scram_rfc7677_vector():
    state = _rfc_state()
    assert state["message"] == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    final = prim.scram_client_final(state, Secret("pencil"), RFC7677_SERVER_FIRST, 4096)
    assert final["message"] == RFC7677_CLIENT_FINAL
    assert base64.b64encode(final["server_signature"]) == RFC7677_SERVER_FINAL[2:]
    assert prim.scram_verify_final(final, RFC7677_SERVER_FINAL) is True


def test_scram_state_holds_no_password():
    final = prim.scram_client_final(_rfc_state(), Secret("pencil"), RFC7677_SERVER_FIRST, 4096)
    assert "pencil" not in repr(final)


def test_scram_tampered_server_signature_is_refused():
    final = prim.scram_client_final(_rfc_state(), Secret("pencil"), RFC7677_SERVER_FIRST, 4096)
    sig = bytearray(base64.b64decode(RFC7677_SERVER_FINAL[2:]))
    sig[0] ^= 1
    with pytest.raises(SecurityPolicyError):
        prim.scram_verify_final(final, b"v=" + base64.b64encode(bytes(sig)))


def test_scram_wrong_password_gives_a_signature_that_does_not_verify():
    final = prim.scram_client_final(_rfc_state(), Secret("pencil!"), RFC7677_SERVER_FIRST, 4096)
    assert final["message"] != RFC7677_CLIENT_FINAL
    with pytest.raises(SecurityPolicyError):
        prim.scram_verify_final(final, RFC7677_SERVER_FINAL)


@pytest.mark.parametrize(
    ("server_first", "error"),
    [
        # server nonce must extend ours, strictly
        (b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", SecurityPolicyError),
        (b"r=rOprNGfwEbeRWgbNEk,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", SecurityPolicyError),
        (b"r=XXXXNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", SecurityPolicyError),
        # iteration bounds
        (b"r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2147483647", SecurityPolicyError),
        (b"r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0", ProtocolError),
        (b"r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1", ProtocolError),
        (b"r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999999", ProtocolError),
        # malformed
        (b"r=rOprNGfwEbeRWgbNEkqO%x,s=not base64!,i=4096", ProtocolError),
        (b"r=rOprNGfwEbeRWgbNEkqO%x,s=,i=4096", ProtocolError),
        (b"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqO%x,i=4096", ProtocolError),
        (b"m=ext,r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", ProtocolError),
        (b"r=rOprNGfwEbeRWgbNEkqO%x", ProtocolError),
        (b"", ProtocolError),
        ("r=\u00e9".encode(), ProtocolError),
        (b"e=other-error", AuthError),
    ],
)
def test_scram_server_first_checks(server_first, error):
    with pytest.raises(error):
        prim.scram_client_final(_rfc_state(), Secret("pencil"), server_first, 100_000)


def test_scram_iteration_cap_is_the_callers():
    state = _rfc_state()
    with pytest.raises(SecurityPolicyError, match="4096"):
        prim.scram_client_final(state, Secret("pencil"), RFC7677_SERVER_FIRST, 4095)


@pytest.mark.parametrize(
    ("server_final", "error"),
    [
        (b"e=invalid-proof", AuthError),
        (b"x=whatever", ProtocolError),
        (b"v=***", ProtocolError),
        (b"", ProtocolError),
        (b"v=", SecurityPolicyError),
    ],
)
def test_scram_server_final_checks(server_final, error):
    final = prim.scram_client_final(_rfc_state(), Secret("pencil"), RFC7677_SERVER_FIRST, 4096)
    with pytest.raises(error):
        prim.scram_verify_final(final, server_final)


def test_scram_final_before_first_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        prim.scram_verify_final(_rfc_state(), RFC7677_SERVER_FINAL)


def test_scram_gs2_headers_and_channel_binding_data():
    data = hashlib.sha256(b"cert").digest()
    bound = prim.scram_client_first(
        "", "SCRAM-SHA-256-PLUS", {"type": "tls-server-end-point", "data": data}, nonce=b"abc"
    )
    assert bound["message"] == b"p=tls-server-end-point,,n=,r=abc"
    final = prim.scram_client_final(bound, Secret("pw"), b"r=abcdef,s=c2FsdA==,i=1", 10)
    channel = base64.b64encode(b"p=tls-server-end-point,," + data)
    assert final["message"].startswith(b"c=" + channel + b",r=abcdef,p=")

    could_bind = prim.scram_client_first("", "SCRAM-SHA-256", {"type": None}, nonce=b"abc")
    assert could_bind["message"] == b"y,,n=,r=abc"
    final = prim.scram_client_final(could_bind, Secret("pw"), b"r=abcdef,s=c2FsdA==,i=1", 10)
    assert final["message"].startswith(b"c=eSws,")  # base64("y,,")


@pytest.mark.parametrize(
    ("mechanism", "cbind"),
    [
        ("SCRAM-SHA-256-PLUS", None),
        ("SCRAM-SHA-256-PLUS", {"type": None}),
        ("SCRAM-SHA-256", {"type": "tls-server-end-point", "data": b"x" * 32}),
        ("SCRAM-SHA-256-PLUS", {"type": "tls-server-end-point", "data": b""}),
        ("SCRAM-SHA-256-PLUS", {"type": "tls-unique", "data": b"x" * 12}),
    ],
)
def test_scram_mechanism_and_binding_must_agree(mechanism, cbind):
    with pytest.raises(SecurityPolicyError):
        prim.scram_client_first("", mechanism, cbind)


def test_scram_unknown_mechanism_and_bad_nonce():
    with pytest.raises(AuthError, match="SCRAM-MD5"):
        prim.scram_client_first("", "SCRAM-MD5", None)
    with pytest.raises(InterfaceError):
        prim.scram_client_first("", "SCRAM-SHA-256", None, nonce=b"a,b")


def test_scram_user_name_is_escaped():
    state = prim.scram_client_first("a=b,c", "SCRAM-SHA-256", None, nonce=b"n")
    assert state["client_first_bare"] == b"n=a=3Db=2Cc,r=n"


def test_scram_client_nonce_comes_from_the_random_nonce_seam(monkeypatch):
    monkeypatch.setattr(nonce_module, "random_nonce", lambda n: bytes(range(n)))
    state = prim.scram_client_first("", "SCRAM-SHA-256", None)
    assert state["cnonce"] == base64.b64encode(bytes(range(18)))
    assert state["message"] == b"n,,n=,r=" + state["cnonce"]


def test_scram_random_nonces_differ():
    a = prim.scram_client_first("", "SCRAM-SHA-256", None)["cnonce"]
    b = prim.scram_client_first("", "SCRAM-SHA-256", None)["cnonce"]
    assert a != b and len(a) >= 24


def test_scram_password_goes_through_saslprep():
    server_first = b"r=abcdef,s=c2FsdA==,i=2"

    def proof(password):
        state = prim.scram_client_first("", "SCRAM-SHA-256", None, nonce=b"abc")
        return prim.scram_client_final(state, password, server_first, 10)["message"]

    assert proof(Secret("I\u00adX")) == proof(Secret("IX"))
    assert proof(Secret("\u2168")) == proof(Secret("IX"))
    assert proof(Secret("I X")) != proof(Secret("IX"))


# -- scram.start: mechanism choice and channel_binding policy ---------------------------------

BOTH = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]


@pytest.fixture(scope="module")
def rsa_sha256_cert():
    return _make_cert(
        rsa.generate_private_key(public_exponent=65537, key_size=2048), hashes.SHA256()
    )


def test_scram_start_prefers_plus_over_tls(rsa_sha256_cert):
    der, _ = rsa_sha256_cert
    state = prim.scram_start(BOTH, der, "prefer", nonce=b"abc")
    assert state["mechanism"] == "SCRAM-SHA-256-PLUS" and state["bound"] is True
    assert state["cbind_data"] == hashlib.sha256(der).digest()


def test_scram_start_says_y_when_tls_but_no_plus(rsa_sha256_cert):
    der, _ = rsa_sha256_cert
    state = prim.scram_start(["SCRAM-SHA-256"], der, "prefer", nonce=b"abc")
    assert state["message"].startswith(b"y,,") and state["bound"] is False


def test_scram_start_plain_and_disabled(rsa_sha256_cert):
    der, _ = rsa_sha256_cert
    assert prim.scram_start(BOTH, None, "prefer")["message"].startswith(b"n,,")
    assert prim.scram_start(BOTH, der, "disable")["message"].startswith(b"n,,")


def test_scram_start_require_fails_closed(rsa_sha256_cert):
    der, _ = rsa_sha256_cert
    with pytest.raises(SecurityPolicyError, match="not TLS"):
        prim.scram_start(BOTH, None, "require")
    with pytest.raises(SecurityPolicyError, match="-PLUS"):
        prim.scram_start(["SCRAM-SHA-256"], der, "require")
    ed_der, _ = _make_cert(ed25519.Ed25519PrivateKey.generate(), None)
    with pytest.raises(SecurityPolicyError):
        prim.scram_start(BOTH, ed_der, "require")
    # prefer with an unbindable certificate: plain SCRAM, honestly "n"
    assert prim.scram_start(BOTH, ed_der, "prefer")["message"].startswith(b"n,,")


def test_scram_start_needs_a_known_mechanism():
    with pytest.raises(AuthError, match="no supported SASL mechanism"):
        prim.scram_start(["SCRAM-SHA-1", "OAUTHBEARER"], None, "prefer")
    with pytest.raises(ConfigError, match="maybe"):
        prim.scram_start(BOTH, None, "maybe")


def test_scram_respond_and_verify_wrappers():
    state = prim.scram_client_first("user", "SCRAM-SHA-256", None, nonce=RFC7677_CNONCE)
    state = prim.get_primitive("scram.respond")(state, RFC7677_SERVER_FIRST, Secret("pencil"))
    assert state["final"] == RFC7677_CLIENT_FINAL
    state = prim.get_primitive("scram.verify")(state, RFC7677_SERVER_FINAL)
    assert state["verified"] is True


# -- SASLprep (RFC 4013 §3 examples and the stringprep tables) --------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I\u00adX", "IX"),  # soft hyphen mapped to nothing
        ("user", "user"),
        ("USER", "USER"),
        ("\u00aa", "a"),  # NFKC
        ("\u2168", "IX"),  # NFKC
        ("a\u00a0b", "a b"),  # non-ASCII space mapped to SPACE
        ("\u0627\u0031\u0628", "\u0627\u0031\u0628"),  # RTL first and last: allowed
        ("caf\u00e9", "caf\u00e9"),
    ],
)
def test_saslprep_maps_and_normalizes(text, expected):
    assert prim.saslprep(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "\u0007",  # ASCII control
        "a\u0000b",
        "\ue000",  # private use
        "\ufffe",  # non-character
        "\u0627\u0031",  # bidi: RTL string must end with an RTL character
        "\u0627a\u0628",  # bidi: RTL and LTR mixed
        "\u0221",  # unassigned in Unicode 3.2
        "a\u2028b",  # line separator (C.2.2)
    ],
)
def test_saslprep_prohibits(text):
    with pytest.raises(DataError) as info:
        prim.saslprep(text)
    assert text not in str(info.value)  # never quotes a password


def test_scram_password_bytes_falls_back_to_raw():
    assert prim.scram_password_bytes(Secret("I\u00adX")) == b"IX"
    assert prim.scram_password_bytes(Secret("\u0007bell")) == b"\x07bell"
    assert prim.scram_password_bytes(Secret(b"\xff\xfe")) == b"\xff\xfe"
    assert prim.scram_password_bytes(Secret(None)) == b""


# -- MySQL scrambles against PyMySQL's own functions ------------------------------------------

PASSWORDS = ["x", "secret", "a" * 20, "p" * 38, "pässwörd-日本", "with space and = , chars"]
NONCE = bytes(range(1, 21))


@pytest.mark.parametrize("password", PASSWORDS)
def test_native_scramble_matches_pymysql(password):
    expected = pymysql_auth.scramble_native_password(password.encode(), NONCE)
    assert prim.mysql_native_scramble(Secret(password), NONCE) == expected
    assert len(expected) == 20


@pytest.mark.parametrize("password", PASSWORDS)
def test_sha2_scramble_matches_pymysql(password):
    expected = pymysql_auth.scramble_caching_sha2(password.encode(), NONCE)
    assert prim.mysql_sha2_scramble(Secret(password), NONCE) == expected
    assert len(expected) == 32


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=80), st.binary(min_size=20, max_size=20))
def test_scrambles_match_pymysql_on_random_input(password, nonce):
    secret = Secret(password)
    assert prim.mysql_native_scramble(secret, nonce) == pymysql_auth.scramble_native_password(
        password, nonce
    )
    assert prim.mysql_sha2_scramble(secret, nonce) == pymysql_auth.scramble_caching_sha2(
        password, nonce
    )


def test_empty_password_scrambles_to_nothing():
    for secret in (Secret(None), Secret(""), None):
        assert prim.mysql_native_scramble(secret, NONCE) == b""
        assert prim.mysql_sha2_scramble(secret, NONCE) == b""


def test_cleartext_forms():
    assert prim.mysql_cleartext(Secret("pw")) == b"pw\0"
    assert prim.pg_cleartext(Secret("pw")) == b"pw"
    assert prim.mysql_cleartext(Secret("")) == b"\0"
    with pytest.raises(ConfigError) as info:
        prim.pg_cleartext(Secret("a\0b"))
    assert "a\0b" not in str(info.value)


# -- PostgreSQL md5 ---------------------------------------------------------------------------


def test_md5_password_matches_the_formula_by_hand():
    salt = b"\x01\x02\x03\x04"
    inner = hashlib.md5(b"pencil" + b"alice").hexdigest()
    expected = "md5" + hashlib.md5(inner.encode() + salt).hexdigest()
    assert prim.pg_md5_password(Secret("pencil"), "alice", salt) == expected.encode()
    assert len(expected) == 35
    with pytest.raises(ProtocolError):
        prim.pg_md5_password(Secret("pencil"), "alice", b"abc")


# -- RSA full auth ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("fmt", ["spki", "pkcs1"])
@pytest.mark.parametrize("password", ["short", "a-password-longer-than-twenty-bytes-xyz"])
def test_rsa_encrypt_password_decrypts_to_xored_password(rsa_key, fmt, password):
    public_format = {
        "spki": serialization.PublicFormat.SubjectPublicKeyInfo,
        "pkcs1": serialization.PublicFormat.PKCS1,
    }[fmt]
    pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, public_format)
    blob = prim.mysql_rsa_encrypt_password(Secret(password), NONCE, pem)
    assert len(blob) == 256
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    masked = rsa_key.decrypt(blob, oaep)
    plain = bytes(b ^ NONCE[i % len(NONCE)] for i, b in enumerate(masked))
    assert plain == password.encode() + b"\0"
    # and PyMySQL's implementation agrees on the plaintext
    theirs = rsa_key.decrypt(pymysql_auth.sha2_rsa_encrypt(password.encode(), NONCE, pem), oaep)
    assert theirs == masked


def test_rsa_encrypt_password_rejects_bad_keys():
    with pytest.raises(ProtocolError):
        prim.mysql_rsa_encrypt_password(Secret("pw"), NONCE, b"-----BEGIN GARBAGE-----")
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ProtocolError, match="not an RSA key"):
        prim.mysql_rsa_encrypt_password(Secret("pw"), NONCE, ec_pem)


# -- Ed25519 ----------------------------------------------------------------------------------

# RFC 8032 §7.1 tests 1 and 2: (secret key, public key, message, signature)
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
        "701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
        "13d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_ed25519_rfc8032_vectors(seed, public, message, signature):
    seed, message = bytes.fromhex(seed), bytes.fromhex(message)
    assert prim.ed25519_public_key(seed).hex() == public
    assert prim.ed25519_sign_with_seed(seed, message).hex() == signature


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=64))
def test_ed25519_matches_cryptography_for_32_byte_seeds(seed, message):
    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    assert prim.ed25519_sign_with_seed(seed, message) == key.sign(message)


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=100), st.binary(min_size=32, max_size=32))
def test_ed25519_any_length_password_signature_verifies(password, challenge):
    signature = prim.mysql_ed25519_sign(Secret(password), challenge)
    public = ed25519.Ed25519PublicKey.from_public_bytes(prim.ed25519_public_key(password))
    public.verify(signature, challenge)  # raises InvalidSignature on failure
    assert len(signature) == 64


def test_ed25519_wrong_key_does_not_verify():
    from cryptography.exceptions import InvalidSignature

    signature = prim.mysql_ed25519_sign(Secret("secret"), b"m" * 32)
    other = ed25519.Ed25519PublicKey.from_public_bytes(prim.ed25519_public_key(b"Secret"))
    with pytest.raises(InvalidSignature):
        other.verify(signature, b"m" * 32)


# -- tls-server-end-point ---------------------------------------------------------------------


def _make_cert(key, algorithm):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, algorithm)
    )
    return cert.public_bytes(serialization.Encoding.DER), cert


def test_end_point_rsa_sha256(rsa_sha256_cert):
    der, _ = rsa_sha256_cert
    assert prim.tls_server_end_point(der) == hashlib.sha256(der).digest()


def test_end_point_ecdsa_sha384():
    der, _ = _make_cert(ec.generate_private_key(ec.SECP384R1()), hashes.SHA384())
    assert prim.tls_server_end_point(der) == hashlib.sha384(der).digest()
    assert len(prim.tls_server_end_point(der)) == 48


@pytest.mark.parametrize("digest", ["sha1", "md5"])
def test_end_point_upgrades_weak_hashes_to_sha256(tmp_path, digest):
    # cryptography refuses to *sign* with SHA-1/MD5, so the openssl CLI makes the certificate
    der = tmp_path / "cert.der"
    command = ["openssl", "req", "-x509", f"-{digest}", "-newkey", "rsa:2048", "-nodes"]
    command += ["-subj", "/CN=t", "-days", "1", "-keyout", str(tmp_path / "key.pem")]
    command += ["-outform", "DER", "-out", str(der)]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"openssl could not make a {digest} certificate: {done.stderr[-300:]!r}")
    data = der.read_bytes()
    assert x509.load_der_x509_certificate(data).signature_hash_algorithm.name == digest
    assert prim.tls_server_end_point(data) == hashlib.sha256(data).digest()


def test_end_point_refuses_ed25519_and_garbage():
    der, _ = _make_cert(ed25519.Ed25519PrivateKey.generate(), None)
    with pytest.raises(SecurityPolicyError, match="Ed25519"):
        prim.tls_server_end_point(der)
    with pytest.raises(TLSError):
        prim.tls_server_end_point(b"\x30\x03\x02\x01\x00")
    with pytest.raises(TLSError):
        prim.tls_server_end_point(b"")


# -- nonce ------------------------------------------------------------------------------------


def test_random_nonce():
    a, b = prim.random_nonce(20), prim.random_nonce(20)
    assert len(a) == 20 and a != b
    for bad in (0, -1, 10**6, "20", True):
        with pytest.raises(InterfaceError):
            prim.random_nonce(bad)


# == live: the servers accept logins built from these primitives ==============================


def _url_parts(url):
    p = urlsplit(url)
    return p.hostname, p.port, unquote(p.username or ""), unquote(p.password or "")


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise AssertionError("server closed the connection")
        buf += chunk
    return bytes(buf)


# -- PostgreSQL: md5, SCRAM-SHA-256 and SCRAM-SHA-256-PLUS ------------------------------------


def _pg_read(sock):
    tag, length = struct.unpack("!ci", _recv_exact(sock, 5))
    return tag, _recv_exact(sock, length - 4)


def _pg_send(sock, tag, body):
    sock.sendall(tag + struct.pack("!i", len(body) + 4) + body)


def pg_login(
    url, password, *, tls_ca=None, channel_binding="prefer", database="postgres", hide_plus=False
):
    """Run a raw PostgreSQL startup + auth; return the auth methods used. Raises AuthError
    with the server's message when the server refuses the login."""
    host, port, user, _ = _url_parts(url)
    sock = socket.create_connection((host, port), timeout=10)
    cert_der = None
    try:
        if tls_ca:
            sock.sendall(struct.pack("!ii", 8, 80877103))
            assert _recv_exact(sock, 1) == b"S"
            ctx = ssl.create_default_context(cafile=tls_ca)
            ctx.check_hostname = False
            sock = ctx.wrap_socket(sock)
            cert_der = sock.getpeercert(binary_form=True)
        params = b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0\0"
        body = struct.pack("!i", 196608) + params
        sock.sendall(struct.pack("!i", len(body) + 4) + body)
        used, sasl = [], None
        while True:
            tag, body = _pg_read(sock)
            if tag == b"E":
                fields = dict((f[:1], f[1:]) for f in body.split(b"\0") if f)
                raise AuthError(fields.get(b"M", b"?").decode())
            if tag == b"Z":
                return used
            if tag != b"R":
                continue
            code = struct.unpack("!i", body[:4])[0]
            data = body[4:]
            if code == 0:
                assert sasl is None or sasl["verified"], "AuthenticationOk before v= checked"
            elif code == 5:
                used.append("md5")
                _pg_send(sock, b"p", prim.pg_md5_password(password, user, data) + b"\0")
            elif code == 10:
                mechs = [m.decode() for m in data.split(b"\0") if m]
                if hide_plus:  # simulate a man in the middle stripping -PLUS
                    mechs = [m for m in mechs if not m.endswith("-PLUS")]
                sasl = prim.scram_start(mechs, cert_der, channel_binding, user="")
                used.append(sasl["mechanism"])
                mech = sasl["mechanism"].encode() + b"\0"
                _pg_send(
                    sock, b"p", mech + struct.pack("!i", len(sasl["message"])) + sasl["message"]
                )
            elif code == 11:
                sasl = prim.scram_respond(sasl, data, password)
                _pg_send(sock, b"p", sasl["message"])
            elif code == 12:
                sasl = prim.scram_verify(sasl, data)
            else:
                raise AssertionError(f"unexpected auth code {code}")
    finally:
        sock.close()


def test_live_pg_md5_login(pg_md5_url):
    password = Secret(_url_parts(pg_md5_url)[3])
    assert pg_login(pg_md5_url, password) == ["md5"]
    with pytest.raises(AuthError, match="password authentication failed"):
        pg_login(pg_md5_url, Secret("wrong-password"))


def test_live_pg_scram_login(pg_scram_url):
    password = Secret(_url_parts(pg_scram_url)[3])
    assert pg_login(pg_scram_url, password) == ["SCRAM-SHA-256"]
    with pytest.raises(AuthError, match="password authentication failed"):
        pg_login(pg_scram_url, Secret("wrong-password"))


def test_live_pg_scram_plus_with_channel_binding(pg_tls_only_url, test_ca_file):
    password = Secret(_url_parts(pg_tls_only_url)[3])
    used = pg_login(pg_tls_only_url, password, tls_ca=test_ca_file, channel_binding="require")
    assert used == ["SCRAM-SHA-256-PLUS"]
    plain = pg_login(pg_tls_only_url, password, tls_ca=test_ca_file, channel_binding="disable")
    assert plain == ["SCRAM-SHA-256"]
    # "y,," says "I could bind but you offered no -PLUS": the server did offer it, so it must
    # treat this as a downgrade by a man in the middle and refuse.
    with pytest.raises(AuthError, match="channel binding"):
        pg_login(pg_tls_only_url, password, tls_ca=test_ca_file, hide_plus=True)


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("I\u00adX-p\u00e4ss-\ufb01", "IX-p\u00e4ss-fi"),  # SASLprep maps both alike
        ("\u0007bell-pass", "\u0007bell-pass"),  # prohibited: raw bytes on both sides
        ("caf\u00e9-\u2168", "caf\u00e9-IX"),
    ],
)
def test_live_pg_scram_saslprep_matches_the_server(pg_url, stored, typed):
    import psycopg
    from psycopg import sql

    role = f"h2_sasl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(stored)
            )
        )
    try:
        login_url = urlsplit(pg_url)._replace(
            netloc=f"{role}@{urlsplit(pg_url).netloc.split('@')[-1]}"
        )
        assert pg_login(login_url.geturl(), Secret(stored)) == ["SCRAM-SHA-256"]
        assert pg_login(login_url.geturl(), Secret(typed)) == ["SCRAM-SHA-256"]
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


# -- MariaDB: client_ed25519 and mysql_native_password ----------------------------------------

CLIENT_LONG_PASSWORD, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION = 0x1, 0x200, 0x8000
CLIENT_PLUGIN_AUTH = 0x80000


def _my_read(sock):
    header = _recv_exact(sock, 4)
    length = int.from_bytes(header[:3], "little")
    return header[3], _recv_exact(sock, length)


def _my_send(sock, seq, payload):
    sock.sendall(len(payload).to_bytes(3, "little") + bytes([seq]) + payload)


def mariadb_login(url, password):
    """Raw MySQL handshake claiming mysql_native_password; follows one AuthSwitch.
    Returns the plugin that completed the login; raises AuthError on ERR."""
    host, port, user, _ = _url_parts(url)
    sock = socket.create_connection((host, port), timeout=10)
    try:
        seq, greeting = _my_read(sock)
        assert greeting[0] == 10
        end = greeting.index(b"\0", 1)
        pos = end + 1 + 4
        nonce = greeting[pos : pos + 8]
        pos += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
        nonce += greeting[pos : pos + 12]  # 13 bytes, the last is a NUL
        flags = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION
        flags |= CLIENT_PLUGIN_AUTH
        auth = prim.mysql_native_scramble(password, nonce)
        payload = struct.pack("<IIB23x", flags, 1 << 24, 45) + user.encode() + b"\0"
        payload += bytes([len(auth)]) + auth + b"mysql_native_password\0"
        _my_send(sock, seq + 1, payload)
        plugin = "mysql_native_password"
        while True:
            seq, packet = _my_read(sock)
            if packet[0] == 0x00:
                return plugin
            if packet[0] == 0xFF:
                raise AuthError(packet[9:].decode(errors="replace"))
            assert packet[0] == 0xFE, packet[:1]
            name_end = packet.index(b"\0", 1)
            plugin = packet[1:name_end].decode()
            data = packet[name_end + 1 :]
            if plugin == "client_ed25519":
                reply = prim.get_primitive("mysql.ed25519_sign")(password, data)
            else:
                reply = prim.get_primitive("mysql.native_scramble")(password, data[:20])
            _my_send(sock, seq + 1, reply)
    finally:
        sock.close()


def test_live_mariadb_native_login(mariadb_native_url):
    password = Secret(_url_parts(mariadb_native_url)[3])
    assert mariadb_login(mariadb_native_url, password) == "mysql_native_password"
    with pytest.raises(AuthError, match="Access denied"):
        mariadb_login(mariadb_native_url, Secret("wrong-password"))


def test_live_mariadb_ed25519_login(mariadb_ed25519_url):
    password = Secret(_url_parts(mariadb_ed25519_url)[3])
    assert mariadb_login(mariadb_ed25519_url, password) == "client_ed25519"
    with pytest.raises(AuthError, match="Access denied"):
        mariadb_login(mariadb_ed25519_url, Secret("wrong-password"))


def _stored_ed25519_key(conn, user):
    with conn.cursor() as cur:
        cur.execute("SHOW CREATE USER %s@'%%'", (user,))
        (statement,) = cur.fetchone()
    # ... IDENTIFIED VIA ed25519 USING '<base64 of the public key, unpadded>'
    return statement.split("USING '", 1)[1].split("'", 1)[0]


@pytest.mark.parametrize(
    "password",
    ["secret", "ed", "p\u00e4ssw\u00f6rd-\u65e5\u672c", "x" * 32, "long-" * 40],
)
def test_live_mariadb_ed25519_public_key_derivation(mariadb_url, password):
    user = f"h2_ed_{uuid.uuid4().hex[:10]}"
    with mariadb_connect(mariadb_url) as conn:
        with conn.cursor() as cur:
            cur.execute(
                "CREATE USER %s@'%%' IDENTIFIED VIA ed25519 USING PASSWORD(%s)", (user, password)
            )
        try:
            stored = _stored_ed25519_key(conn, user)
        finally:
            with conn.cursor() as cur:
                cur.execute("DROP USER %s@'%%'", (user,))
    derived = base64.b64encode(prim.ed25519_public_key(password.encode())).rstrip(b"=")
    assert derived.decode() == stored


def test_live_mariadb_ed25519_fixture_user_key(mariadb_url, mariadb_ed25519_url):
    _, _, user, password = _url_parts(mariadb_ed25519_url)
    with mariadb_connect(mariadb_url) as conn:
        stored = _stored_ed25519_key(conn, user)
    assert base64.b64encode(prim.ed25519_public_key(password.encode())).rstrip(b"=").decode() == (
        stored
    )

"""tls-server-end-point without cryptography's X.509 parser for the common signature
algorithms: the hash read from the DER must be the one cryptography names (RFC 5929
upgrades applied), and anything else must go to the full parser (same errors as before)."""

from __future__ import annotations

import datetime
import hashlib
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from engine.errors import SecurityPolicyError, TLSError
from engine.wirevm.primitives import channel_binding as cb

UPGRADE = {"md5": "sha256", "sha1": "sha256"}


def _cert(key, algorithm, **sign) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, algorithm, **sign)
    )
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("algorithm", ["SHA224", "SHA256", "SHA384", "SHA512"])
def test_rsa_hash_read_from_der_is_cryptographys(rsa_key, algorithm):
    der = _cert(rsa_key, getattr(hashes, algorithm)())
    expected = x509.load_der_x509_certificate(der).signature_hash_algorithm.name
    assert cb._common_hash(der) == expected
    assert cb.tls_server_end_point(der) == hashlib.new(expected, der).digest()


ECDSA = [("SECP256R1", "SHA256"), ("SECP384R1", "SHA384"), ("SECP521R1", "SHA512")]


@pytest.mark.parametrize("curve,algorithm", [*ECDSA, ("SECP256R1", "SHA224")])
def test_ecdsa_hash_read_from_der_is_cryptographys(curve, algorithm):
    der = _cert(ec.generate_private_key(getattr(ec, curve)()), getattr(hashes, algorithm)())
    expected = x509.load_der_x509_certificate(der).signature_hash_algorithm.name
    assert cb._common_hash(der) == expected
    assert cb.tls_server_end_point(der) == hashlib.new(expected, der).digest()


def test_weak_hashes_upgrade_on_the_fast_path_too(tmp_path):
    out = tmp_path / "c.der"
    command = ["openssl", "req", "-x509", "-sha1", "-newkey", "rsa:2048", "-nodes", "-subj"]
    command += ["/CN=t", "-days", "1", "-keyout", str(tmp_path / "k.pem"), "-outform", "DER"]
    done = subprocess.run([*command, "-out", str(out)], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr[-300:]
    der = out.read_bytes()
    assert x509.load_der_x509_certificate(der).signature_hash_algorithm.name == "sha1"
    assert cb._common_hash(der) == UPGRADE["sha1"]
    assert cb.tls_server_end_point(der) == hashlib.sha256(der).digest()


def test_other_algorithms_go_to_the_full_parser(rsa_key):
    ed = _cert(ed25519.Ed25519PrivateKey.generate(), None)
    assert cb._common_hash(ed) is None
    with pytest.raises(SecurityPolicyError, match="Ed25519"):
        cb.tls_server_end_point(ed)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    der = _cert(rsa_key, hashes.SHA256(), rsa_padding=pss)
    assert cb._common_hash(der) is None  # RSASSA-PSS: the hash is in the parameters
    assert cb.tls_server_end_point(der) == hashlib.sha256(der).digest()


@pytest.mark.parametrize(
    "der", [b"", b"\x30\x03\x02\x01\x00", b"\x30\x82\xff\xff\x30", b"\x30\x00", b"\x31\x00"]
)
def test_garbage_is_not_read_as_a_common_certificate(der):
    assert cb._common_hash(der) is None
    with pytest.raises(TLSError):
        cb.tls_server_end_point(der)


def test_trailing_or_cut_bytes_fall_back(rsa_key):
    der = _cert(rsa_key, hashes.SHA256())
    assert cb._common_hash(der + b"\x00") is None
    assert cb._common_hash(der[:-1]) is None


def test_a_login_over_tls_needs_no_x509_module():
    """The reason for the fast path: `import engine` + a common certificate's binding
    leave cryptography's X.509 module unloaded (a tenth of a short command's start)."""
    code = (
        "import sys; from engine.wirevm.primitives import channel_binding as cb; "
        f"der = bytes.fromhex({_cert(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256()).hex()!r}); "  # noqa: E501
        "cb.tls_server_end_point(der); print('cryptography.x509' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

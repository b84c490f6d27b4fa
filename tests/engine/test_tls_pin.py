"""A pinned server certificate (`sslpin`): right pin connects, wrong pin is refused, and a
refusal happens before any credential (or even the user name) crosses the link.

Real servers: the harness's PostgreSQL and MariaDB present tls/server.pem (next to the test
CA). Loopback stand-ins (tiny threaded servers speaking just the opening bytes of each
protocol) record every byte the client sends, so "nothing was sent" is observed, not assumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

import pytest

from engine import connect, connect_async, errors, parse_url
from engine.config import format_pin
from tests.engine import wirebuild
from tests.engine.sessionchecks import with_query

PASSWORD = "pin-test-password-Qx7"
USER = "pin_user"


def server_pin(test_ca_file: str) -> str:
    """SHA-256 of the DER of the certificate the harness's servers present."""
    pem = (Path(test_ca_file).parent / "server.pem").read_text()
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


WRONG_PIN = "00" * 32


# ---------------------------------------------------------------- parsing


def test_pin_spellings_are_normalised_and_imply_tls():
    digits = "ab" * 32
    cfg = parse_url(f"postgresql://u@db.example/app?sslpin={format_pin(digits)}")
    assert cfg.sslpin == digits
    assert cfg.sslmode == "require" and cfg.tls_required
    mixed = parse_url(f"mysql://u@h/?ssl-pin={digits.upper()}&sslmode=verify-full")
    assert mixed.sslpin == digits and mixed.sslmode == "verify-full"


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("sslpin=abcd", "64 hex digits"),
        (f"sslpin={'zz' * 32}", "64 hex digits"),
        (f"sslpin={'ab' * 32}&sslmode=disable", "sslmode=disable"),
    ],
)
def test_bad_pins_are_config_errors(query, says):
    with pytest.raises(errors.ConfigError, match=says):
        parse_url(f"postgresql://u@h/db?{query}")


# ---------------------------------------------------------------- real servers


@pytest.mark.parametrize("fixture", ["pg_scram_url", "mariadb_tls_url"])
def test_right_pin_connects_as_a_verified_peer(fixture, request, test_ca_file):
    url = request.getfixturevalue(fixture)
    pin = server_pin(test_ca_file)
    with connect(with_query(url, f"sslpin={format_pin(pin)}")) as s:
        s.ping()
        tls = s.server["tls"]
        assert tls["cert_sha256"] == pin
        assert tls["verified"] is True and tls["pinned"] is True


@pytest.mark.parametrize("fixture", ["pg_scram_url", "mariadb_tls_url"])
def test_wrong_pin_is_refused_naming_both_fingerprints(fixture, request, test_ca_file):
    url = request.getfixturevalue(fixture)
    with pytest.raises(errors.TLSError) as info:
        connect(with_query(url, f"sslpin={WRONG_PIN}"))
    text = str(info.value)
    assert "does not match the pinned" in text
    assert format_pin(server_pin(test_ca_file)) in text and format_pin(WRONG_PIN) in text


@pytest.mark.parametrize("fixture", ["pg_scram_url", "mariadb_tls_url"])
def test_async_driver_checks_the_pin_too(fixture, request, test_ca_file):
    url = request.getfixturevalue(fixture)
    pin = server_pin(test_ca_file)

    async def main():
        async with connect_async(with_query(url, f"sslpin={pin}")) as s:
            assert s.server["tls"]["pinned"] is True
        with pytest.raises(errors.TLSError, match="does not match the pinned"):
            await connect_async(with_query(url, f"sslpin={WRONG_PIN}"))

    asyncio.run(main())


def test_pin_and_ca_together_need_both(pg_scram_url, test_ca_file):
    pin = server_pin(test_ca_file)
    both = f"sslmode=verify-full&sslrootcert={test_ca_file}&sslpin={pin}"
    with connect(with_query(pg_scram_url, both)) as s:
        assert s.server["tls"]["verified"] is True
    wrong = f"sslmode=verify-full&sslrootcert={test_ca_file}&sslpin={WRONG_PIN}"
    with pytest.raises(errors.TLSError, match="does not match"):
        connect(with_query(pg_scram_url, wrong))


# ---------------------------------------------------------------- loopback stand-ins


def self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, str]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and its pin."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "standin.pem", tmp_path / "standin.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    der = cert.public_bytes(serialization.Encoding.DER)
    return ctx, hashlib.sha256(der).hexdigest()


class StandIn:
    """One-connection loopback server. `opening(conn) -> ssl-wrapped conn or None` plays the
    protocol's first exchange; every byte read afterwards (plaintext or decrypted) is kept
    in `after_tls`, every byte before in `before_tls`."""

    def __init__(self, opening) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.opening = opening
        self.before_tls = bytearray()
        self.after_tls = bytearray()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with contextlib.suppress(OSError, ssl.SSLError), conn:
            conn.settimeout(10)
            wrapped = self.opening(self, conn)
            if wrapped is not None:
                self._drain(wrapped, self.after_tls)
        self.done.set()

    def read(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                break
            data += chunk
        self.before_tls += data
        return data

    @staticmethod
    def _drain(conn: socket.socket, into: bytearray) -> None:
        """Keep the client's first message (a login fits in one), then hang up: a client
        that got this far fails at once instead of waiting for an answer."""
        with contextlib.suppress(OSError, ssl.SSLError):
            into += conn.recv(65536)

    def finish(self) -> None:
        self.done.wait(10)
        self.listener.close()


def pg_opening(tls_ctx: ssl.SSLContext | None):
    """PostgreSQL: read the 8-byte SSLRequest; answer 'N' (no TLS) or 'S' and handshake."""

    def opening(server: StandIn, conn: socket.socket):
        server.read(conn, 8)
        if tls_ctx is None:
            conn.sendall(b"N")
            StandIn._drain(conn, server.after_tls)  # whatever a careless client sends next
            return None
        conn.sendall(b"S")
        return tls_ctx.wrap_socket(conn, server_side=True)

    return opening


def mysql_opening(tls_ctx: ssl.SSLContext | None):
    """MySQL/MariaDB: the server speaks first; the greeting offers CLIENT_SSL only with a
    context. With TLS: read the 32-byte SSLRequest packet (+4 header), then handshake."""
    plain = wirebuild.CAPS_MARIADB & ~wirebuild.C_SSL
    caps = plain | wirebuild.C_SSL if tls_ctx else plain

    def opening(server: StandIn, conn: socket.socket):
        conn.sendall(wirebuild.packet(wirebuild.greeting(caps=caps), 0))
        if tls_ctx is None:
            StandIn._drain(conn, server.after_tls)
            return None
        server.read(conn, 36)
        return tls_ctx.wrap_socket(conn, server_side=True)

    return opening


STAND_INS = [("postgresql", pg_opening), ("mysql", mysql_opening)]


def url_for(scheme: str, port: int, query: str) -> str:
    return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}/appdb?{query}"


def assert_nothing_secret(server: StandIn) -> None:
    everything = bytes(server.before_tls + server.after_tls)
    assert PASSWORD.encode() not in everything
    assert USER.encode() not in everything  # not even the user name went out


@pytest.mark.parametrize(("scheme", "opening"), STAND_INS)
def test_tls_required_but_declined_sends_no_credentials(scheme, opening):
    server = StandIn(opening(None))
    try:
        with pytest.raises(errors.TLSError):
            connect(url_for(scheme, server.port, f"sslpin={WRONG_PIN}"))
    finally:
        server.finish()
    assert bytes(server.after_tls) == b""
    assert_nothing_secret(server)


@pytest.mark.parametrize(("scheme", "opening"), STAND_INS)
def test_wrong_pin_is_refused_before_anything_is_sent_inside_tls(scheme, opening, tmp_path):
    ctx, pin = self_signed(tmp_path)
    wrong = StandIn(opening(ctx))
    try:
        with pytest.raises(errors.TLSError, match="does not match the pinned"):
            connect(url_for(scheme, wrong.port, f"sslpin={WRONG_PIN}"))
    finally:
        wrong.finish()
    assert bytes(wrong.after_tls) == b""
    assert_nothing_secret(wrong)

    # The control: with the right pin the same stand-in does receive the login (user name),
    # so the empty capture above is the pin's doing, not a deaf stand-in.
    right = StandIn(opening(ctx))
    try:
        with pytest.raises(errors.OperationalError):
            connect(url_for(scheme, right.port, f"sslpin={pin}"))
    finally:
        right.finish()
    assert USER.encode() in bytes(right.after_tls)
    assert PASSWORD.encode() not in bytes(right.after_tls)

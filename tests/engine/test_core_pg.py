"""The sans-IO core on the PostgreSQL pack, against hand-built backend messages.

Expected client bytes are built here from the protocol documentation; the md5 and SCRAM
answers are recomputed with hashlib/hmac in the test, independently of the primitives.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

import pytest

from engine import errors as E
from engine.config import ConnectConfig
from engine.secret import Secret
from engine.wirevm import events as ev
from engine.wirevm.core import WireConnection
from engine.wirevm.packs import load_pack
from tests.engine import wirebuild as wb

PASSWORD = "pg-password-0123456789-é"


def make(**cfg) -> WireConnection:
    base = dict(
        scheme="postgresql",
        host="db.test",
        user="alice",
        database="shop",
        password=Secret(PASSWORD),
        sslmode="disable",
        application_name="h3",
    )
    base.update(cfg)
    return WireConnection(load_pack("postgres.wire.json"), ConnectConfig(**base))


def pump(conn) -> list:
    out = []
    while True:
        e = conn.next_event()
        if e is ev.NEED_DATA:
            return out
        out.append(e)
        if isinstance(e, (ev.StartTLS, ev.ConnectionClosed)):
            return out


def startup_bytes(user="alice", database="shop", app="h3") -> bytes:
    params = [
        ("user", user),
        ("database", database),
        ("application_name", app),
        ("client_encoding", "UTF8"),
        ("DateStyle", "ISO, MDY"),
    ]
    body = (
        struct.pack("!i", 196608)
        + b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in params)
        + b"\0"
    )
    return struct.pack("!i", len(body) + 4) + body


def password_message(pw: bytes) -> bytes:
    return wb.msg(b"p", pw + b"\0")


def connected(**cfg) -> WireConnection:
    conn = make(**cfg)
    conn.start()
    conn.data_to_send()
    conn.receive_data(wb.pg_startup_ok())
    assert isinstance(pump(conn)[-1], ev.Ready)
    return conn


def test_startup_message_bytes_and_trust_login():
    conn = make()
    conn.start()
    assert conn.data_to_send() == startup_bytes()
    conn.receive_data(wb.pg_startup_ok())
    events = pump(conn)
    assert events[-1] == ev.Ready("I")
    assert conn.server["thread_id"] == 4242
    assert conn.server["parameters"]["DateStyle"] == "ISO, MDY"
    assert conn.server["version"] == "15.4"
    assert conn.server["auth_plugin"] == "trust"


def test_ssl_request_then_starttls():
    conn = make(sslmode="require")
    conn.start()
    assert conn.data_to_send() == struct.pack("!ii", 8, 80877103)
    conn.receive_data(b"S")
    assert pump(conn) == [ev.StartTLS("db.test")]
    conn.tls_started(secure_channel=True, cert_der=b"\x30\x00", version="TLSv1.3", cipher="X")
    assert pump(conn) == []
    assert conn.data_to_send() == startup_bytes()
    assert conn.server["tls"]["cert_sha256"] == hashlib.sha256(b"\x30\x00").hexdigest()


def test_bytes_after_s_are_refused():
    conn = make(sslmode="require")
    conn.start()
    conn.receive_data(b"S" + wb.auth(0))
    with pytest.raises(E.SecurityPolicyError, match="before the TLS handshake"):
        pump(conn)


def test_n_answer_prefer_goes_plaintext_require_fails():
    conn = make(sslmode="prefer")
    conn.start()
    conn.data_to_send()
    conn.receive_data(b"N")
    assert pump(conn) == []
    assert conn.data_to_send() == startup_bytes()
    conn = make(sslmode="verify-full")
    conn.start()
    conn.receive_data(b"N")
    with pytest.raises(E.TLSError, match="refused"):
        pump(conn)


def test_error_response_to_ssl_request_is_not_trusted():
    conn = make(sslmode="prefer")
    conn.start()
    conn.receive_data(wb.error_response({"S": "FATAL", "M": "click http://evil"}))
    with pytest.raises(E.TLSError) as info:
        pump(conn)
    assert "evil" not in str(info.value)


def test_md5_password():
    conn = make()
    conn.start()
    conn.data_to_send()
    conn.receive_data(wb.auth(5, b"\x01\x02\x03\x04"))
    assert pump(conn) == []
    inner = hashlib.md5(PASSWORD.encode() + b"alice").hexdigest().encode()
    outer = b"md5" + hashlib.md5(inner + b"\x01\x02\x03\x04").hexdigest().encode()
    assert conn.data_to_send() == password_message(outer)
    conn.receive_data(wb.pg_startup_ok())
    assert pump(conn)[-1] == ev.Ready("I")
    assert conn.server["auth_plugin"] == "md5"


def _scram_expected(cnonce: bytes, server_first: bytes):
    bare = b"n=,r=" + cnonce
    attrs = dict(p.split(b"=", 1) for p in server_first.split(b","))
    salted = hashlib.pbkdf2_hmac(
        "sha256", PASSWORD.encode(), base64.b64decode(attrs[b"s"]), int(attrs[b"i"])
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    final_bare = b"c=biws,r=" + attrs[b"r"]
    auth_msg = bare + b"," + server_first + b"," + final_bare
    sig = hmac.new(hashlib.sha256(client_key).digest(), auth_msg, "sha256").digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig, strict=True)))
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    server_sig = base64.b64encode(hmac.new(server_key, auth_msg, "sha256").digest())
    return b"n,," + bare, final_bare + b",p=" + proof, b"v=" + server_sig


CNONCE = b"rOprNGfwEbeRWgbNEkqO"
SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)


def scram_started(**cfg):
    conn = make(options={"scram_nonce": CNONCE.decode()}, **cfg)
    conn.start()
    conn.data_to_send()
    conn.receive_data(wb.auth(10, b"SCRAM-SHA-256\0\0"))
    assert pump(conn) == []
    first, final, server_final = _scram_expected(CNONCE, SERVER_FIRST)
    body = b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first
    assert conn.data_to_send() == wb.msg(b"p", body)
    conn.receive_data(wb.auth(11, SERVER_FIRST))
    assert pump(conn) == []
    assert conn.data_to_send() == wb.msg(b"p", final)
    return conn, server_final


def test_scram_sha_256_exchange():
    conn, server_final = scram_started()
    conn.receive_data(wb.auth(12, server_final) + wb.pg_startup_ok())
    assert pump(conn)[-1] == ev.Ready("I")
    assert conn.server["auth_plugin"] == "SCRAM-SHA-256"


def test_scram_wrong_server_signature_is_refused():
    conn, _ = scram_started()
    conn.receive_data(wb.auth(12, b"v=" + base64.b64encode(bytes(32))))
    with pytest.raises(E.SecurityPolicyError, match="signature"):
        pump(conn)


def test_auth_ok_without_scram_final_is_refused():
    conn, _ = scram_started()
    conn.receive_data(wb.pg_startup_ok())
    with pytest.raises(E.SecurityPolicyError, match="without proving"):
        pump(conn)


def test_channel_binding_require_refuses_md5_before_sending_anything():
    conn = make(channel_binding="require")
    conn.start()
    conn.data_to_send()
    conn.receive_data(wb.auth(5, b"salt"))
    with pytest.raises(E.SecurityPolicyError, match="channel_binding"):
        pump(conn)
    assert conn.data_to_send() == b""


def test_channel_binding_require_without_tls_fails_closed():
    conn = make(channel_binding="require")
    conn.start()
    conn.data_to_send()
    conn.receive_data(wb.auth(10, b"SCRAM-SHA-256\0SCRAM-SHA-256-PLUS\0\0"))
    with pytest.raises(E.SecurityPolicyError, match="channel binding"):
        pump(conn)


def test_cleartext_needs_tls_or_opt_in():
    conn = make()
    conn.start()
    conn.data_to_send()
    conn.receive_data(wb.auth(3))
    with pytest.raises(E.SecurityPolicyError, match="cleartext"):
        pump(conn)
    conn = make(allow_cleartext=True)
    conn.start()
    conn.data_to_send()
    conn.receive_data(wb.auth(3))
    pump(conn)
    assert conn.data_to_send() == password_message(PASSWORD.encode())


def test_unsupported_auth_method_and_bad_password():
    conn = make()
    conn.start()
    conn.receive_data(wb.auth(7))
    with pytest.raises(E.AuthError, match="unsupported"):
        pump(conn)
    conn = make()
    conn.start()
    conn.receive_data(wb.error_response({"S": "FATAL", "C": "28P01", "M": "password failed"}))
    with pytest.raises(E.AuthError) as info:
        pump(conn)
    assert info.value.sqlstate == "28P01" and PASSWORD not in str(info.value)


def test_simple_query_results():
    conn = connected()
    conn.query("SELECT ...; INSERT ...; ")
    assert conn.data_to_send() == wb.msg(b"Q", b"SELECT ...; INSERT ...; \0")
    conn.receive_data(
        wb.row_description([("id", 23), ("name", 25), ("ok", 16)])
        + wb.data_row(["1", "a", "t"])
        + wb.data_row(["2", None, "f"])
        + wb.command_complete("SELECT 2")
        + wb.command_complete("INSERT 0 5")
        + wb.msg(b"I")
        + wb.ready(b"T")
    )
    events = pump(conn)
    assert events[1] == ev.Rows([(1, "a", True), (2, None, False)])
    assert [(e.rowcount, e.command_tag) for e in events if isinstance(e, ev.ResultDone)] == [
        (2, "SELECT 2"),
        (5, "INSERT 0 5"),
        (-1, None),
    ]
    assert events[-1] == ev.Ready("T")


def test_error_response_fields_and_cancel():
    conn = connected()
    conn.query("SELECT pg_sleep(10)")
    conn.receive_data(
        wb.error_response(
            {
                "S": "ERROR",
                "C": "57014",
                "M": "canceling statement",
                "H": "a hint",
                "Z": "unknown code",
            }
        )
        + wb.ready()
    )
    err, rdy = pump(conn)
    assert (err.sqlstate, err.message) == ("57014", "canceling statement")
    assert err.fields["hint"] == "a hint" and err.fields["Z"] == "unknown code"
    assert err.fields["error_class"] == "QueryCanceled"
    assert rdy == ev.Ready("I")


def test_copy_in_is_failed_and_copy_out_drained():
    conn = connected()
    conn.query("COPY t FROM STDIN")
    conn.data_to_send()
    conn.receive_data(wb.msg(b"G", b"\0\0\0"))
    assert pump(conn) == []
    assert conn.data_to_send().startswith(b"f")
    conn.receive_data(wb.error_response({"C": "57014", "M": "COPY from stdin failed"}) + wb.ready())
    assert [type(e) for e in pump(conn)] == [ev.ServerErrorEvent, ev.Ready]
    conn.query("COPY t TO STDOUT")
    conn.data_to_send()
    conn.receive_data(
        wb.msg(b"H", b"\0\0\0")
        + wb.msg(b"d", b"1\n")
        + wb.msg(b"c")
        + wb.command_complete("COPY 1")
        + wb.ready()
    )
    events = pump(conn)
    assert events[0].fields["error_class"] == "SecurityPolicyError"
    assert isinstance(events[-1], ev.Ready)


def test_non_iso_datestyle_gives_data_error_and_session_continues():
    conn = connected()
    conn.query("SET DateStyle TO German; SELECT current_date, 1")
    conn.data_to_send()
    conn.receive_data(
        wb.command_complete("SET")
        + wb.param("DateStyle", "German, DMY")
        + wb.row_description([("d", 1082), ("n", 23)])
        + wb.data_row(["22.11.2026", "1"])
        + wb.command_complete("SELECT 1")
        + wb.ready()
    )
    seen = []
    with pytest.raises(E.DataError, match="DateStyle"):
        while True:
            seen.append(conn.next_event())
    assert ev.ParameterChanged("DateStyle", "German, DMY") in seen
    assert isinstance(pump(conn)[-1], ev.Ready)


def test_async_messages_idle_and_mid_query():
    conn = connected()
    conn.receive_data(wb.msg(b"A", struct.pack("!i", 9) + b"chan\0hello\0"))
    assert pump(conn) == [ev.Notification(9, "chan", "hello")]
    conn.query("SELECT 1")
    conn.receive_data(
        wb.error_response({"S": "NOTICE", "M": "hi"}, tag=b"N")
        + wb.command_complete("SELECT 0")
        + wb.ready()
    )
    events = pump(conn)
    assert events[0] == ev.Notice({"S": "NOTICE", "M": "hi"})


def test_cancel_request_bytes_with_long_key():
    conn = make()
    conn.start()
    key = bytes(range(32))  # protocol 3.2 sized secret: parsed as rest-of-message
    conn.receive_data(wb.auth(0) + wb.msg(b"K", struct.pack("!i", 77) + key) + wb.ready())
    pump(conn)
    assert conn.cancel_request() == struct.pack("!iii", 12 + 32, 80877102, 77) + key


def test_terminate_bytes():
    conn = connected()
    conn.terminate()
    assert conn.data_to_send() == b"X\0\0\0\x04"
    assert isinstance(conn.next_event(), ev.ConnectionClosed)


@pytest.mark.parametrize(
    "stream, match",
    [
        (wb.row_description([("a", 23)]) + wb.data_row(["1", "2"]), "column count"),
        (b"Z\0\0\0\x02", "below 4"),
        (b"?\0\0\0\x04", "unknown message type"),
        (wb.msg(b"D", b"\0\x01\0\0\0\x09ab"), "before its column description"),
    ],
)
def test_malformed_backend_messages(stream, match):
    conn = connected()
    conn.query("SELECT 1")
    conn.receive_data(stream)
    with pytest.raises(E.ProtocolError, match=match):
        pump(conn)


def test_sasl_continue_twice_is_refused():
    conn, _ = scram_started()
    conn.receive_data(wb.auth(11, SERVER_FIRST))
    with pytest.raises(E.ProtocolError, match="out of order"):
        pump(conn)


def test_huge_scram_iteration_count_is_refused():
    conn = make(options={"scram_nonce": CNONCE.decode()})
    conn.start()
    conn.receive_data(wb.auth(10, b"SCRAM-SHA-256\0\0"))
    pump(conn)
    conn.receive_data(wb.auth(11, SERVER_FIRST.replace(b"i=4096", b"i=2147483647")))
    with pytest.raises(E.EngineError, match="iteration"):
        pump(conn)


def test_nul_in_sql_is_refused_and_connection_stays_usable():
    conn = connected()
    with pytest.raises(E.InterfaceError, match="NUL"):
        conn.query("SELECT '\0'")
    assert conn.data_to_send() == b""
    conn.query("SELECT 1")
    assert conn.data_to_send() == wb.msg(b"Q", b"SELECT 1\0")


def test_server_refusing_the_connection_is_a_connect_error():
    conn = make()
    conn.start()
    conn.receive_data(
        wb.auth(0)
        + wb.error_response({"S": "FATAL", "C": "3D000", "M": 'database "shop" does not exist'})
    )
    with pytest.raises(E.ConnectError, match="does not exist") as info:
        pump(conn)
    assert info.value.details["sqlstate"] == "3D000"


def _self_signed_der() -> bytes:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "db.test")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def test_scram_plus_binds_to_the_server_certificate():
    der = _self_signed_der()
    conn = make(
        sslmode="require", channel_binding="require", options={"scram_nonce": CNONCE.decode()}
    )
    conn.start()
    conn.data_to_send()
    conn.receive_data(b"S")
    assert pump(conn) == [ev.StartTLS("db.test")]
    conn.tls_started(secure_channel=True, cert_der=der)
    assert pump(conn) == []
    assert conn.data_to_send() == startup_bytes()
    conn.receive_data(wb.auth(10, b"SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"))
    assert pump(conn) == []
    gs2 = b"p=tls-server-end-point,,"
    first = gs2 + b"n=,r=" + CNONCE
    body = b"SCRAM-SHA-256-PLUS\0" + struct.pack("!i", len(first)) + first
    assert conn.data_to_send() == wb.msg(b"p", body)
    conn.receive_data(wb.auth(11, SERVER_FIRST))
    pump(conn)
    final = conn.data_to_send()
    binding = base64.b64encode(gs2 + hashlib.sha256(der).digest())
    assert final[5:].startswith(b"c=" + binding + b",r=")
    assert conn.server["auth_plugin"] == "SCRAM-SHA-256-PLUS"

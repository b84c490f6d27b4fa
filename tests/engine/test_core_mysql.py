"""The sans-IO core on the MySQL/MariaDB pack, against hand-built server bytes.

Server packets come from tests/engine/wirebuild.py (written from the protocol docs); the
expected client bytes are computed independently (PyMySQL's scramble functions as oracles,
RSA decrypted here with the private key), so these tests check the pack against the wire
format rather than against itself. Covers what MariaDB 10.11 cannot serve live:
caching_sha2_password fast and full auth, RSA key exchange, DEPRECATE_EOF off, LOCAL INFILE.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pymysql import _auth as pymysql_auth

from engine import errors as E
from engine.config import ConnectConfig
from engine.secret import Secret
from engine.wirevm import events as ev
from engine.wirevm.core import WireConnection
from engine.wirevm.packs import load_pack
from tests.engine import wirebuild as wb

NONCE = b"0123456789abcdefghij"
PASSWORD = "a-password-longer-than-twenty-chars!"


def make(**cfg) -> WireConnection:
    base = dict(
        scheme="mysql", host="db.test", user="u", password=Secret(PASSWORD), sslmode="disable"
    )
    base.update(cfg)
    return WireConnection(load_pack("mysql.wire.json"), ConnectConfig(**base))


def pump(conn: WireConnection) -> list:
    out = []
    while True:
        e = conn.next_event()
        if e is ev.NEED_DATA:
            return out
        out.append(e)
        if isinstance(e, (ev.StartTLS, ev.ConnectionClosed)):
            return out


def connect(conn, plugin="mysql_native_password", caps=wb.CAPS_MYSQL) -> bytes:
    conn.start()
    conn.receive_data(wb.packet(wb.greeting(NONCE, plugin, caps), 0))
    assert pump(conn) == []
    return conn.data_to_send()


def ready(conn, caps=wb.CAPS_MYSQL, seq=2) -> None:
    conn.receive_data(wb.packet(wb.ok(), seq))
    assert pump(conn) == [ev.Ready("I")]


def test_native_password_handshake_bytes_match_pymysql():
    conn = make(database="shop")
    sent = connect(conn)
    auth = pymysql_auth.scramble_native_password(PASSWORD.encode(), NONCE)
    caps = wb.client_caps(wb.CAPS_MYSQL, database=True)
    assert sent == wb.packet(
        wb.handshake_response(caps, "u", auth, "mysql_native_password", "shop"), 1
    )
    ready(conn)
    assert conn.server["thread_id"] == 7
    assert conn.server["auth_plugin"] == "mysql_native_password"


def test_mariadb_greeting_strips_version_prefix_and_reads_extended_caps():
    conn = make()
    conn.start()
    conn.receive_data(wb.packet(wb.greeting(NONCE, caps=wb.CAPS_MARIADB), 0))
    pump(conn)
    assert conn.server["version"] == "10.11.6-MariaDB"
    assert conn.server["caps"] & 1 == 0  # CLIENT_MYSQL clear: MariaDB extended caps follow


def test_caching_sha2_fast_auth():
    conn = make()
    sent = connect(conn, "caching_sha2_password")
    auth = pymysql_auth.scramble_caching_sha2(PASSWORD.encode(), NONCE)
    caps = wb.client_caps(wb.CAPS_MYSQL)
    assert sent == wb.packet(wb.handshake_response(caps, "u", auth, "caching_sha2_password"), 1)
    conn.receive_data(wb.packet(b"\x01\x03", 2) + wb.packet(wb.ok(), 3))
    assert pump(conn) == [ev.Ready("I")]
    assert conn.data_to_send() == b""


def test_caching_sha2_full_auth_over_tls_sends_cleartext_after_starttls():
    conn = make(sslmode="require")
    conn.start()
    conn.receive_data(wb.packet(wb.greeting(NONCE, "caching_sha2_password", wb.CAPS_MYSQL), 0))
    assert pump(conn) == [ev.StartTLS("db.test")]
    caps = wb.client_caps(wb.CAPS_MYSQL, ssl=True)
    assert conn.data_to_send() == wb.packet(wb.ssl_request(caps), 1)
    conn.tls_started(secure_channel=True, cert_der=b"cert", version="TLSv1.3")
    assert pump(conn) == []
    auth = pymysql_auth.scramble_caching_sha2(PASSWORD.encode(), NONCE)
    assert conn.data_to_send() == wb.packet(
        wb.handshake_response(caps, "u", auth, "caching_sha2_password"), 2
    )
    conn.receive_data(wb.packet(b"\x01\x04", 3))
    assert pump(conn) == []
    assert conn.data_to_send() == wb.packet(PASSWORD.encode() + b"\0", 4)
    ready(conn, seq=5)
    assert conn.server["tls"]["version"] == "TLSv1.3"


def _rsa_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem


def _decrypt(key, blob: bytes) -> bytes:
    plain = key.decrypt(
        blob, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    )
    return bytes(b ^ NONCE[i % len(NONCE)] for i, b in enumerate(plain))


def test_caching_sha2_full_auth_with_pinned_key_encrypts_with_rsa_oaep():
    key, pem = _rsa_key()
    conn = make(server_public_key=pem.decode())
    connect(conn, "caching_sha2_password")
    conn.receive_data(wb.packet(b"\x01\x04", 2))
    assert pump(conn) == []
    sent = conn.data_to_send()
    assert sent[:4] == (256).to_bytes(3, "little") + b"\x03"
    assert _decrypt(key, sent[4:]) == PASSWORD.encode() + b"\0"
    ready(conn, seq=4)


def test_caching_sha2_full_auth_with_key_retrieval():
    key, pem = _rsa_key()
    conn = make(allow_public_key_retrieval=True)
    connect(conn, "caching_sha2_password")
    conn.receive_data(wb.packet(b"\x01\x04", 2))
    pump(conn)
    assert conn.data_to_send() == wb.packet(b"\x02", 3)
    conn.receive_data(wb.packet(b"\x01" + pem, 4))
    assert pump(conn) == []
    sent = conn.data_to_send()
    assert sent[3] == 5 and _decrypt(key, sent[4:]) == PASSWORD.encode() + b"\0"
    ready(conn, seq=6)


def test_caching_sha2_full_auth_without_secure_channel_or_key_is_refused():
    conn = make()
    connect(conn, "caching_sha2_password")
    conn.receive_data(wb.packet(b"\x01\x04", 2))
    with pytest.raises(E.SecurityPolicyError, match="caching_sha2_password"):
        pump(conn)
    assert conn.data_to_send() == b""  # nothing of the password left


def test_tls_required_but_not_offered():
    conn = make(sslmode="require")
    conn.start()
    conn.receive_data(wb.packet(wb.greeting(NONCE, caps=wb.CAPS_MYSQL & ~wb.C_SSL), 0))
    with pytest.raises(E.TLSError, match="does not offer"):
        pump(conn)


def test_starttls_refuses_bytes_received_before_the_handshake():
    conn = make(sslmode="require")
    conn.start()
    conn.receive_data(wb.packet(wb.greeting(NONCE, caps=wb.CAPS_MYSQL), 0) + b"injected")
    with pytest.raises(E.SecurityPolicyError, match="before the TLS handshake"):
        pump(conn)


def test_switch_to_cleartext_is_refused_without_tls_and_allowed_on_opt_in():
    for allow in (False, True):
        conn = make(allow_cleartext=allow)
        connect(conn)
        conn.receive_data(wb.packet(b"\xfemysql_clear_password\0", 2))
        if not allow:
            with pytest.raises(E.SecurityPolicyError, match="cleartext"):
                pump(conn)
            continue
        assert pump(conn) == []
        assert conn.data_to_send() == wb.packet(PASSWORD.encode() + b"\0", 3)


def test_switch_to_unknown_plugin_names_it():
    conn = make()
    connect(conn)
    conn.receive_data(wb.packet(b"\xfeauth_gssapi_client\0data", 2))
    with pytest.raises(E.AuthError, match="auth_gssapi_client"):
        pump(conn)


def test_access_denied_is_an_auth_error_with_code_and_sqlstate():
    conn = make()
    connect(conn)
    conn.receive_data(wb.packet(wb.err(1045, "28000", "Access denied for user 'u'"), 2))
    with pytest.raises(E.AuthError) as info:
        pump(conn)
    assert (info.value.code, info.value.sqlstate) == (1045, "28000")
    assert PASSWORD not in str(info.value)


def test_pre41_error_greeting():
    conn = make()
    conn.start()
    conn.receive_data(wb.packet(b"\xff\x10\x04Too many connections", 0))
    with pytest.raises(E.ConnectError, match="Too many connections") as info:
        pump(conn)
    assert info.value.details["code"] == 1040 and info.value.details["sqlstate"] is None


def connected(**cfg) -> WireConnection:
    conn = make(**cfg)
    connect(conn)
    ready(conn)
    return conn


COLS = [("id", 3, 63), ("name", 253, 45), ("price", 246, 63)]


@pytest.mark.parametrize("deprecate_eof", [True, False])
def test_resultset_with_and_without_deprecate_eof(deprecate_eof):
    conn = connected(options={"deprecate_eof": deprecate_eof})
    conn.query("SELECT id, name, price FROM t")
    assert conn.data_to_send() == wb.packet(b"\x03SELECT id, name, price FROM t", 0)
    rows = [(b"1", b"apple", b"1.50"), (b"2", None, b"0.00"), (b"3", b"", None)]
    conn.receive_data(wb.resultset(COLS, rows, deprecate_eof=deprecate_eof))
    events = pump(conn)
    assert [c.name for c in events[0].columns] == ["id", "name", "price"]
    from decimal import Decimal

    assert events[1] == ev.Rows(
        [(1, "apple", Decimal("1.50")), (2, None, Decimal("0.00")), (3, "", None)]
    )
    assert events[2] == ev.ResultDone(rowcount=3, warnings=0, more_results=False)
    assert events[3] == ev.Ready("I")


def test_multiple_results_follow_more_results_flag():
    conn = connected()
    conn.query("SELECT 1; UPDATE t SET a=1; SELECT 2")
    more = 2 | 8
    stream = (
        wb.resultset([("1", 8, 63)], [(b"1",)], seq=1, status=more)
        + wb.packet(wb.ok(affected=5, last_id=9, status=more, warnings=1), 5)
        + wb.resultset([("2", 8, 63)], [(b"2",)], seq=6)
    )
    conn.receive_data(stream)
    kinds = [(type(e).__name__, getattr(e, "rowcount", None)) for e in pump(conn)]
    assert kinds == [
        ("Columns", None),
        ("Rows", None),
        ("ResultDone", 1),
        ("ResultDone", 5),
        ("Columns", None),
        ("Rows", None),
        ("ResultDone", 1),
        ("Ready", None),
    ]


def test_ok_packet_fields():
    conn = connected()
    conn.query("INSERT ...")
    conn.receive_data(wb.packet(wb.ok(affected=300, last_id=70000, warnings=2, status=3), 1))
    done, rdy = pump(conn)
    assert (done.rowcount, done.last_insert_id, done.warnings) == (300, 70000, 2)
    assert rdy == ev.Ready("T")  # SERVER_STATUS_IN_TRANS


def test_query_error_and_cancel_are_events_and_session_stays_usable():
    conn = connected()
    conn.query("SELECT SLEEP(10)")
    conn.data_to_send()
    conn.receive_data(wb.packet(wb.err(1317, "70100", "Query execution was interrupted"), 1))
    err, rdy = pump(conn)
    assert err.fields["error_class"] == "QueryCanceled" and err.code == 1317
    assert isinstance(rdy, ev.Ready)
    conn.ping()
    assert conn.data_to_send() == wb.packet(b"\x0e", 0)
    conn.receive_data(wb.packet(wb.ok(), 1))
    assert pump(conn) == [ev.Ready("I")]


def test_local_infile_request_is_refused_and_stream_stays_in_sync():
    conn = connected()
    conn.query("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t")
    conn.data_to_send()
    conn.receive_data(wb.packet(b"\xfb/etc/passwd", 1))
    events = pump(conn)
    assert conn.data_to_send() == wb.packet(b"", 2)  # the empty packet: no file content
    assert events[0].fields["error_class"] == "SecurityPolicyError"
    conn.receive_data(wb.packet(wb.ok(), 3))
    assert pump(conn) == [ev.Ready("I")]
    conn.query("SELECT 1")
    assert conn.data_to_send() == wb.packet(b"\x03SELECT 1", 0)


def test_init_db_and_terminate():
    conn = connected()
    conn.init_db("other")
    assert conn.data_to_send() == wb.packet(b"\x02other", 0)
    conn.receive_data(wb.packet(wb.ok(), 1))
    assert isinstance(pump(conn)[-1], ev.Ready)
    conn.terminate()
    assert conn.data_to_send() == wb.packet(b"\x01", 0)
    assert conn.next_event() == ev.ConnectionClosed("terminated by the client")


@pytest.mark.parametrize("size", [2**24 - 2, 2**24 - 1, 2**24, 2 * (2**24 - 1)])
def test_large_payloads_split_and_join(size):
    """Payloads of exactly `size` bytes both ways (COM_QUERY out, one row in)."""
    conn = connected()
    sql = "SELECT '" + "x" * (size - 10) + "'"
    conn.query(sql)
    assert len(sql) + 1 == size
    sent = conn.data_to_send()
    assert sent == wb.packet(b"\x03" + sql.encode(), 0)  # split as the docs say
    assert len(sent) == size + 4 * (size // 0xFFFFFF + 1)
    value = b"y" * (size - 4 if size - 4 < 2**24 else size - 9)
    assert len(wb.lstr(value)) == size
    conn.receive_data(wb.resultset([("v", 251, 63)], [(value,)], seq=size // 0xFFFFFF + 1))
    events = pump(conn)
    assert events[1].rows[0][0] == value
    assert isinstance(events[-1], ev.Ready)


def test_wrong_sequence_id_is_a_protocol_error():
    conn = connected()
    conn.query("SELECT 1")
    conn.receive_data(wb.packet(wb.ok(), 5))
    with pytest.raises(E.ProtocolError, match="sequence number wrong"):
        pump(conn)
    with pytest.raises(E.ProtocolError):  # dead from now on
        conn.next_event()


def test_row_with_fewer_values_than_columns():
    conn = connected()
    conn.query("SELECT")
    stream = wb.resultset(COLS, [], seq=1)
    bad = wb.packet(wb.lenenc(3), 1) + b"".join(
        wb.packet(wb.coldef(*c), i + 2) for i, c in enumerate(COLS)
    )
    bad += wb.packet(wb.text_row([b"1", b"x"]), 5)
    assert stream  # the good variant builds
    conn.receive_data(bad)
    with pytest.raises(E.ProtocolError, match="row"):
        pump(conn)


def test_undecodable_value_raises_data_error_and_drains_the_result():
    conn = connected()
    conn.query("SELECT")
    conn.data_to_send()
    conn.receive_data(
        wb.resultset(COLS, [(b"1", b"a", b"1"), (b"zz", b"b", b"2"), (b"3", b"c", b"3")])
    )
    assert isinstance(conn.next_event(), ev.Columns)
    with pytest.raises(E.DataError, match="int"):
        conn.next_event()  # the batch holding the bad row is dropped, the stream kept in sync
    rest = pump(conn)
    assert not any(isinstance(e, ev.Rows) for e in rest)
    assert isinstance(rest[-1], ev.Ready)
    conn.ping()
    assert conn.data_to_send() == wb.packet(b"\x0e", 0)


def test_eof_mid_message_is_connection_lost_and_never_need_data_after():
    conn = connected()
    conn.query("SELECT 1")
    conn.receive_data(wb.packet(wb.ok(), 1)[:5])
    assert conn.next_event() is ev.NEED_DATA
    conn.receive_data(b"")
    with pytest.raises(E.ConnectionLost):
        conn.next_event()
    with pytest.raises(E.ProtocolError):
        conn.next_event()


def test_eof_while_idle_is_connection_closed():
    conn = connected()
    conn.receive_data(b"")
    assert isinstance(conn.next_event(), ev.ConnectionClosed)
    assert isinstance(conn.next_event(), ev.ConnectionClosed)


def test_command_while_busy_is_an_interface_error():
    conn = connected()
    conn.query("SELECT 1")
    with pytest.raises(E.InterfaceError, match="still running"):
        conn.query("SELECT 2")


def test_secrets_never_in_reprs():
    conn = make()
    assert PASSWORD not in repr(conn.cfg)
    assert PASSWORD not in repr(conn._scope.lookup("cfg"))

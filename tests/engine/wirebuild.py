"""Server-side byte builders for tests and benchmarks: hand-made MySQL packets and PostgreSQL
messages, written from the protocol documentation (not from the pack), so tests of the core
compare two independent descriptions of the same wire format."""

from __future__ import annotations

import struct

# ---- MySQL ---------------------------------------------------------------------------------

CAPS_MARIADB = 0xF7FE | (0x81FF << 16)  # MariaDB 10.11 greeting (CLIENT_MYSQL bit clear)
CAPS_MYSQL = 0xFFFF | (0xDFFF << 16)  # MySQL 8 style (CLIENT_MYSQL set)
DEPRECATE_EOF = 1 << 24


def lenenc(n: int) -> bytes:
    if n < 251:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + n.to_bytes(2, "little")
    if n < 1 << 24:
        return b"\xfd" + n.to_bytes(3, "little")
    return b"\xfe" + n.to_bytes(8, "little")


def lstr(b: bytes | str) -> bytes:
    b = b.encode() if isinstance(b, str) else b
    return lenenc(len(b)) + b


def packet(payload: bytes, seq: int) -> bytes:
    """Frame one payload, splitting at 0xFFFFFF like a server does."""
    out, pos = [], 0
    while True:
        piece = payload[pos : pos + 0xFFFFFF]
        out.append(len(piece).to_bytes(3, "little") + bytes([seq & 0xFF]) + piece)
        seq += 1
        pos += len(piece)
        if len(piece) < 0xFFFFFF:
            return b"".join(out)


def greeting(
    nonce: bytes = b"abcdefghijklmnopqrst",
    plugin: str = "mysql_native_password",
    caps: int = CAPS_MARIADB,
    version: str = "5.5.5-10.11.6-MariaDB",
    thread_id: int = 7,
) -> bytes:
    body = (
        b"\x0a"
        + version.encode()
        + b"\0"
        + struct.pack("<I", thread_id)
        + nonce[:8]
        + b"\0"
        + struct.pack("<H", caps & 0xFFFF)
        + b"\x2d"
        + struct.pack("<H", 2)
        + struct.pack("<H", caps >> 16)
        + bytes([21])
        + bytes(6)
        + (struct.pack("<I", 0) if not caps & 1 else bytes(4))
        + nonce[8:]
        + b"\0"
        + plugin.encode()
        + b"\0"
    )
    return body


def ok(affected=0, last_id=0, status=2, warnings=0, header=0, info=b"") -> bytes:
    return (
        bytes([header])
        + lenenc(affected)
        + lenenc(last_id)
        + struct.pack("<HH", status, warnings)
        + info
    )


def eof(status=2, warnings=0) -> bytes:
    return b"\xfe" + struct.pack("<HH", warnings, status)


def err(code: int, sqlstate: str, message: str) -> bytes:
    return b"\xff" + struct.pack("<H", code) + b"#" + sqlstate.encode() + message.encode()


def coldef(name: str, ftype: int, charset: int = 45, flags: int = 0) -> bytes:
    return (
        lstr("def")
        + lstr("")
        + lstr("t")
        + lstr("t")
        + lstr(name)
        + lstr(name)
        + b"\x0c"
        + struct.pack("<HIBHB", charset, 255, ftype, flags, 0)
        + b"\0\0"
    )


def text_row(values) -> bytes:
    return b"".join(b"\xfb" if v is None else lstr(v) for v in values)


def resultset(cols, rows, seq: int = 1, deprecate_eof: bool = True, status: int = 2) -> bytes:
    """A whole text result set (column count .. terminator) starting at sequence `seq`."""
    out = [packet(lenenc(len(cols)), seq)]
    seq += 1
    for c in cols:
        out.append(packet(coldef(*c), seq))
        seq += 1
    if not deprecate_eof:
        out.append(packet(eof(status), seq))
        seq += 1
    for r in rows:
        body = text_row(r)
        out.append(packet(body, seq))
        seq += len(body) // 0xFFFFFF + 1
    out.append(packet(ok(status=status, header=0xFE) if deprecate_eof else eof(status), seq))
    return b"".join(out)


# ---- PostgreSQL ----------------------------------------------------------------------------


def msg(tag: bytes, body: bytes = b"") -> bytes:
    return tag + struct.pack("!i", len(body) + 4) + body


def auth(code: int, extra: bytes = b"") -> bytes:
    return msg(b"R", struct.pack("!i", code) + extra)


def param(name: str, value: str) -> bytes:
    return msg(b"S", name.encode() + b"\0" + value.encode() + b"\0")


def ready(status: bytes = b"I") -> bytes:
    return msg(b"Z", status)


def backend_key(pid: int = 4242, key: int = 0x01020304) -> bytes:
    return msg(b"K", struct.pack("!ii", pid, key))


def row_description(cols) -> bytes:
    body = struct.pack("!h", len(cols))
    for name, oid in cols:
        body += name.encode() + b"\0" + struct.pack("!IhIhih", 0, 0, oid, -1, -1, 0)
    return msg(b"T", body)


def data_row(values) -> bytes:
    body = struct.pack("!h", len(values))
    for v in values:
        if v is None:
            body += struct.pack("!i", -1)
        else:
            v = v.encode() if isinstance(v, str) else v
            body += struct.pack("!i", len(v)) + v
    return msg(b"D", body)


def command_complete(tag: str) -> bytes:
    return msg(b"C", tag.encode() + b"\0")


def error_response(fields: dict[str, str], tag: bytes = b"E") -> bytes:
    body = b"".join(k.encode() + v.encode() + b"\0" for k, v in fields.items()) + b"\0"
    return msg(tag, body)


def pg_startup_ok(
    params=(
        ("server_version", "15.4"),
        ("client_encoding", "UTF8"),
        ("DateStyle", "ISO, MDY"),
        ("IntervalStyle", "postgres"),
    ),
) -> bytes:
    return auth(0) + b"".join(param(k, v) for k, v in params) + backend_key() + ready()


# ---- MySQL client side, from the protocol documentation (expected client bytes) ---------------

C_LONG_PASSWORD, C_LONG_FLAG, C_CONNECT_WITH_DB, C_PROTOCOL_41 = 1, 4, 8, 512
C_SSL, C_TRANSACTIONS, C_SECURE, C_MULTI_STATEMENTS = 2048, 8192, 32768, 65536
C_MULTI_RESULTS, C_PS_MULTI_RESULTS, C_PLUGIN_AUTH, C_CONNECT_ATTRS = (
    131072,
    262144,
    524288,
    1 << 20,
)
C_LENENC_AUTH = 1 << 21


def client_caps(
    server_caps: int, database: bool = False, deprecate_eof: bool = True, ssl: bool = False
) -> int:
    want = (
        C_LONG_PASSWORD
        | C_LONG_FLAG
        | C_PROTOCOL_41
        | C_TRANSACTIONS
        | C_SECURE
        | C_MULTI_RESULTS
        | C_PS_MULTI_RESULTS
        | C_PLUGIN_AUTH
        | C_CONNECT_ATTRS
        | C_LENENC_AUTH
        | C_MULTI_STATEMENTS
    )
    if database:
        want |= C_CONNECT_WITH_DB
    if deprecate_eof:
        want |= DEPRECATE_EOF
    caps = want & server_caps
    return caps | C_SSL if ssl else caps


def ssl_request(caps: int) -> bytes:
    return struct.pack("<IIB", caps, 1 << 24, 45) + bytes(19) + bytes(4)


def handshake_response(
    caps: int,
    user: str,
    auth_response: bytes,
    plugin: str,
    database: str | None = None,
    app: str = "sqlx",
) -> bytes:
    out = ssl_request(caps) + user.encode() + b"\0"
    out += (
        lstr(auth_response) if caps & C_LENENC_AUTH else bytes([len(auth_response)]) + auth_response
    )
    if caps & C_CONNECT_WITH_DB:
        out += (database or "").encode() + b"\0"
    if caps & C_PLUGIN_AUTH:
        out += plugin.encode() + b"\0"
    if caps & C_CONNECT_ATTRS:
        attrs = lstr("_client_name") + lstr("nublox-sqlx") + lstr("program_name") + lstr(app)
        out += lenenc(len(attrs)) + attrs
    return out

"""Write the hand-built transcripts (exchanges the live servers here cannot produce):

    .venv/bin/python -m tests.engine.make_transcripts

Server bytes come from wirebuild.py (the protocol docs); the expected client bytes are built
independently (PyMySQL's scramble functions as oracles, wirebuild's handshake response), so
a replay checks the pack against the documented format. The expected events are the core's
output at generation time, reviewed by hand; test_core_mysql.py / test_core_pg.py assert the
same exchanges' meaning explicitly. RSA full auth is not here: OAEP output is randomised, so
it cannot be byte-exact (test_core_mysql.py decrypts it instead).
"""

from __future__ import annotations

import json

from pymysql import _auth as oracle

from tests.engine import wirebuild as wb
from tests.engine.transcript import DIR, make_config, normalize, replay

NONCE = b"0123456789abcdefghij"
PASSWORD = "hand-built-password-0123456789"
MYSQL_CFG = {
    "scheme": "mysql",
    "host": "db.test",
    "user": "u",
    "password": PASSWORD,
    "sslmode": "disable",
}


def s2c(data: bytes) -> dict:
    return {"dir": "s2c", "hex": data.hex()}


def c2s(data: bytes) -> dict:
    return {"dir": "c2s", "hex": data.hex()}


def cmd(op: str, arg=None) -> dict:
    return {"dir": "cmd", "op": op, **({"arg": arg} if arg is not None else {})}


def caching_sha2_fast() -> tuple[dict, list]:
    caps = wb.client_caps(wb.CAPS_MYSQL)
    auth = oracle.scramble_caching_sha2(PASSWORD.encode(), NONCE)
    return MYSQL_CFG, [
        s2c(wb.packet(wb.greeting(NONCE, "caching_sha2_password", wb.CAPS_MYSQL), 0)),
        c2s(wb.packet(wb.handshake_response(caps, "u", auth, "caching_sha2_password"), 1)),
        s2c(wb.packet(b"\x01\x03", 2) + wb.packet(wb.ok(), 3)),
        cmd("ping"),
        c2s(wb.packet(b"\x0e", 0)),
        s2c(wb.packet(wb.ok(), 1)),
    ]


def caching_sha2_full_tls() -> tuple[dict, list]:
    caps = wb.client_caps(wb.CAPS_MYSQL, ssl=True)
    auth = oracle.scramble_caching_sha2(PASSWORD.encode(), NONCE)
    return {**MYSQL_CFG, "sslmode": "require"}, [
        s2c(wb.packet(wb.greeting(NONCE, "caching_sha2_password", wb.CAPS_MYSQL), 0)),
        c2s(wb.packet(wb.ssl_request(caps), 1)),
        c2s(wb.packet(wb.handshake_response(caps, "u", auth, "caching_sha2_password"), 2)),
        s2c(wb.packet(b"\x01\x04", 3)),
        c2s(wb.packet(PASSWORD.encode() + b"\0", 4)),
        s2c(wb.packet(wb.ok(), 5)),
    ]


def native_switch_and_eof_results() -> tuple[dict, list]:
    """Server greets with caching_sha2, switches to native; results without DEPRECATE_EOF."""
    caps = wb.client_caps(wb.CAPS_MYSQL, deprecate_eof=False)
    first = oracle.scramble_caching_sha2(PASSWORD.encode(), NONCE)
    switch_nonce = b"ABCDEFGHIJKLMNOPQRST"
    cols = [("id", 8, 63, 32), ("name", 253, 45), ("d", 10, 63), ("blob", 252, 63)]
    rows = [
        (b"18446744073709551615", b"caf\xc3\xa9", b"0000-00-00", b"\x00\x01"),
        (b"1", None, b"2024-02-29", b""),
    ]
    sql = "SELECT id, name, d, blob FROM t; SELECT 2"
    return {**MYSQL_CFG, "options": {"deprecate_eof": False}}, [
        s2c(wb.packet(wb.greeting(NONCE, "caching_sha2_password", wb.CAPS_MYSQL), 0)),
        c2s(wb.packet(wb.handshake_response(caps, "u", first, "caching_sha2_password"), 1)),
        s2c(wb.packet(b"\xfemysql_native_password\0" + switch_nonce + b"\0", 2)),
        c2s(wb.packet(oracle.scramble_native_password(PASSWORD.encode(), switch_nonce), 3)),
        s2c(wb.packet(wb.ok(), 4)),
        cmd("query", sql),
        c2s(wb.packet(b"\x03" + sql.encode(), 0)),
        s2c(
            wb.resultset(cols, rows, seq=1, deprecate_eof=False, status=2 | 8)
            + wb.resultset([("2", 8, 63)], [(b"2",)], seq=10, deprecate_eof=False)
        ),
    ]


def local_infile_refused() -> tuple[dict, list]:
    caps = wb.client_caps(wb.CAPS_MARIADB)
    auth = oracle.scramble_native_password(PASSWORD.encode(), NONCE)
    sql = "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t"
    return MYSQL_CFG, [
        s2c(wb.packet(wb.greeting(NONCE, caps=wb.CAPS_MARIADB), 0)),
        c2s(wb.packet(wb.handshake_response(caps, "u", auth, "mysql_native_password"), 1)),
        s2c(wb.packet(wb.ok(), 2)),
        cmd("query", sql),
        c2s(wb.packet(b"\x03" + sql.encode(), 0)),
        s2c(wb.packet(b"\xfb/etc/passwd", 1)),
        c2s(wb.packet(b"", 2)),
        s2c(wb.packet(wb.err(1148, "42000", "The used command is not allowed"), 3)),
        cmd("terminate"),
        c2s(wb.packet(b"\x01", 0)),
    ]


def pg_copy_and_notices() -> tuple[dict, list]:
    import struct

    cfg = {
        "scheme": "postgresql",
        "host": "db.test",
        "user": "u",
        "database": "d",
        "password": PASSWORD,
        "sslmode": "prefer",
        "application_name": "h3",
    }
    params = [
        ("user", "u"),
        ("database", "d"),
        ("application_name", "h3"),
        ("client_encoding", "UTF8"),
        ("DateStyle", "ISO, MDY"),
    ]
    body = (
        struct.pack("!i", 196608)
        + b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in params)
        + b"\0"
    )
    sql = "COPY t FROM STDIN; COPY t TO STDOUT"
    return cfg, [
        c2s(struct.pack("!ii", 8, 80877103)),
        s2c(b"N"),
        c2s(struct.pack("!i", len(body) + 4) + body),
        s2c(wb.pg_startup_ok()),
        cmd("query", sql),
        c2s(wb.msg(b"Q", sql.encode() + b"\0")),
        s2c(wb.msg(b"G", b"\0\0\0")),
        c2s(wb.msg(b"f", b"COPY FROM STDIN is not supported by this client\0")),
        s2c(
            wb.error_response({"S": "ERROR", "C": "57014", "M": "COPY from stdin failed"})
            + wb.ready()
        ),
        cmd("query", "COPY t TO STDOUT"),
        c2s(wb.msg(b"Q", b"COPY t TO STDOUT\0")),
        s2c(
            wb.msg(b"H", b"\0\0\0")
            + wb.msg(b"d", b"1\n")
            + wb.msg(b"c")
            + wb.error_response({"S": "NOTICE", "M": "done"}, tag=b"N")
            + wb.command_complete("COPY 1")
            + wb.ready()
            + wb.msg(b"A", struct.pack("!i", 5) + b"ch\0payload\0")
        ),
        cmd("terminate"),
        c2s(b"X\0\0\0\x04"),
    ]


BUILT = {
    "mysql_caching_sha2_fast": ("mysql.wire.json", caching_sha2_fast),
    "mysql_caching_sha2_full_tls": ("mysql.wire.json", caching_sha2_full_tls),
    "mysql_switch_native_eof_results": ("mysql.wire.json", native_switch_and_eof_results),
    "mysql_local_infile_refused": ("mysql.wire.json", local_infile_refused),
    "pg_copy_refused_and_async": ("postgres.wire.json", pg_copy_and_notices),
}


def main() -> int:
    for name, (pack, build) in BUILT.items():
        config, steps = build()
        doc = {
            "notes": f"hand-built by tests/engine/make_transcripts.py ({build.__doc__ or name})",
            "pack": pack,
            "config": config,
            "steps": steps,
        }
        make_config(config)  # validates
        doc["events"] = normalize(replay(doc, "whole").events)
        (DIR / f"{name}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        print("wrote", name, len(doc["events"]), "events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

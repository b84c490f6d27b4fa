"""Fuzz the sans-IO core with mutated server byte streams (hypothesis, derandomized).

Seeds are the recorded transcripts plus a few hand-built exchanges per pack (so paths the
live servers never take — caching_sha2 auth, EOF-style results, LOCAL INFILE, COPY — are
mutated too). Each example picks one server step and truncates it, flips a bit, overwrites a
length-sized window with a hostile value, duplicates or deletes a slice, then replays the
whole exchange in a random chunking, ending with EOF. Properties:
- only the engine's typed errors ever escape (`Replay` lets nothing else through);
- `next_event()` calls are bounded by the input size (a step counter, no wall clock);
- after EOF, `next_event()` never returns NEED_DATA.
10,000 examples per pack.
"""

from __future__ import annotations

import contextlib
import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import errors as E
from engine.wirevm import events as ev
from tests.engine import wirebuild as wb
from tests.engine.transcript import Replay, all_transcripts, load, make_config, split

ALLOWED = (
    E.ConnectError,
    E.ProtocolError,
    E.ConnectionLost,
    E.ServerError,
    E.AuthError,
    E.TLSError,
    E.SecurityPolicyError,
    E.DataError,
)
HOSTILE = [
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\xff\xff\xff\x00",
    b"\x7f\xff\xff\xff",
    b"\x00\x00\x00\x03",
    b"\xfe\xff\xff\xff",
    b"\xfb",
    b"\xfc\xff\xff",
    b"\x00",
]


def _mysql_seeds() -> list[dict]:
    nonce = b"0123456789abcdefghij"
    cfg = {
        "scheme": "mysql",
        "host": "h",
        "user": "u",
        "password": "p" * 24,
        "sslmode": "disable",
        "allow_public_key_retrieval": True,
    }
    cols = [("id", 3, 63), ("name", 253, 45), ("when", 12, 63), ("t", 11, 63)]
    rows = [(b"1", b"a", b"2024-01-02 03:04:05", b"-01:02:03"), (None, b"", None, b"00:00:00")]
    sha2 = [
        {
            "dir": "s2c",
            "hex": (
                wb.packet(wb.greeting(nonce, "caching_sha2_password", wb.CAPS_MYSQL), 0)
                + wb.packet(b"\x01\x03", 2)
                + wb.packet(wb.ok(), 3)
            ).hex(),
        },
        {"dir": "cmd", "op": "query", "arg": "SELECT 1; SELECT 2"},
        {
            "dir": "s2c",
            "hex": (
                wb.resultset(cols, rows, seq=1, status=10)
                + wb.packet(wb.ok(affected=3, last_id=4, status=2), 8)
            ).hex(),
        },
        {"dir": "cmd", "op": "query", "arg": "LOAD DATA LOCAL INFILE 'x' INTO TABLE t"},
        {"dir": "s2c", "hex": (wb.packet(b"\xfbx", 1) + wb.packet(wb.ok(), 3)).hex()},
        {"dir": "cmd", "op": "query", "arg": "SELECT boom"},
        {"dir": "s2c", "hex": wb.packet(wb.err(1054, "42S22", "Unknown column"), 1).hex()},
    ]
    eof_style = [
        {
            "dir": "s2c",
            "hex": (
                wb.packet(wb.greeting(nonce, "caching_sha2_password", wb.CAPS_MYSQL), 0)
                + wb.packet(b"\x01\x04", 2)
            ).hex(),
        },
        {"dir": "s2c", "hex": (wb.packet(b"\x01-----BEGIN PUBLIC KEY-----\nnot a key\n", 4)).hex()},
    ]
    no_eof = [
        {"dir": "s2c", "hex": (wb.packet(wb.greeting(nonce), 0) + wb.packet(wb.ok(), 2)).hex()},
        {"dir": "cmd", "op": "query", "arg": "SELECT"},
        {"dir": "s2c", "hex": wb.resultset(cols, rows, seq=1, deprecate_eof=False).hex()},
        {"dir": "cmd", "op": "ping"},
        {"dir": "s2c", "hex": wb.packet(wb.ok(), 1).hex()},
    ]
    return [
        {"pack": "mysql.wire.json", "config": cfg, "steps": sha2},
        {"pack": "mysql.wire.json", "config": cfg, "steps": eof_style},
        {
            "pack": "mysql.wire.json",
            "config": {**cfg, "options": {"deprecate_eof": False}},
            "steps": no_eof,
        },
    ]


def _pg_seeds() -> list[dict]:
    cfg = {
        "scheme": "postgresql",
        "host": "h",
        "user": "u",
        "password": "p" * 24,
        "sslmode": "disable",
        "allow_cleartext": True,
        "options": {"scram_nonce": "abcdefgh"},
    }
    steps = [
        {"dir": "s2c", "hex": (wb.auth(3) + wb.pg_startup_ok()).hex()},
        {"dir": "cmd", "op": "query", "arg": "COPY t FROM STDIN; SELECT"},
        {
            "dir": "s2c",
            "hex": (
                wb.msg(b"G", b"\0\0\0")
                + wb.error_response({"S": "ERROR", "C": "57014", "M": "x"})
                + wb.ready()
            ).hex(),
        },
        {"dir": "cmd", "op": "query", "arg": "SELECT"},
        {
            "dir": "s2c",
            "hex": (
                wb.row_description([("a", 23), ("b", 1184), ("c", 1007)])
                + wb.data_row(["1", "2024-01-01 00:00:00+05:30", "{1,NULL}"])
                + wb.error_response({"M": "hi"}, tag=b"N")
                + wb.param("DateStyle", "ISO, DMY")
                + wb.data_row([None, None, None])
                + wb.command_complete("SELECT 2")
                + wb.msg(b"H", b"\0\0\0")
                + wb.msg(b"d", b"x")
                + wb.msg(b"c")
                + wb.command_complete("COPY 1")
                + wb.ready(b"T")
            ).hex(),
        },
    ]
    scram = [
        {
            "dir": "s2c",
            "hex": (
                wb.auth(10, b"SCRAM-SHA-256\0\0")
                + wb.auth(11, b"r=abcdefghXYZ,s=c2FsdA==,i=4096")
                + wb.auth(12, b"v=AAAA")
                + wb.pg_startup_ok()
            ).hex(),
        },
    ]
    return [
        {"pack": "postgres.wire.json", "config": cfg, "steps": steps},
        {"pack": "postgres.wire.json", "config": cfg, "steps": scram},
    ]


def _seeds(pack: str) -> list[dict]:
    recorded = [load(n) for n in all_transcripts() if load(n)["pack"] == pack]
    built = _mysql_seeds() if pack == "mysql.wire.json" else _pg_seeds()
    return recorded + built


def mutate(data: bytes, kind: int, at: int, arg: int) -> bytes:
    if not data:
        return bytes([arg & 0xFF])
    at %= len(data)
    if kind == 0:  # truncate
        return data[:at]
    if kind == 1:  # flip one bit
        return data[:at] + bytes([data[at] ^ (1 << (arg % 8))]) + data[at + 1 :]
    if kind == 2:  # overwrite a window with a hostile length/marker
        h = HOSTILE[arg % len(HOSTILE)]
        return data[:at] + h + data[at + len(h) :]
    if kind == 3:  # delete a slice
        return data[:at] + data[at + 1 + arg % 16 :]
    if kind == 4:  # duplicate a slice
        return data[:at] + data[at : at + 1 + arg % 64] + data[at:]
    return data[:at] + bytes([arg & 0xFF]) + data[at:]  # insert a byte


def run_mutated(doc: dict, step_pick: int, kind: int, at: int, arg: int, seed: int) -> None:
    s2c = [i for i, s in enumerate(doc["steps"]) if s["dir"] == "s2c"]
    target = s2c[step_pick % len(s2c)]
    total = sum(len(s.get("hex", "")) // 2 for s in doc["steps"])
    r = Replay(doc["pack"], make_config(doc["config"]), max_calls=50 * (total + 100))
    rng = random.Random(seed)
    r.command("start", None)
    for i, step in enumerate(doc["steps"]):
        if step["dir"] == "cmd":
            r.command(step["op"], step.get("arg"))
        elif step["dir"] == "s2c":
            data = bytes.fromhex(step["hex"])
            if i == target:
                data = mutate(data, kind, at, arg)
            for piece in split(data, "random", rng):
                r.feed(piece)
    r.feed(b"")
    if not r.dead:  # after EOF the core must never ask for more data
        with contextlib.suppress(ALLOWED):
            assert r.conn.next_event() is not ev.NEED_DATA
    for e in r.events:
        if isinstance(e, BaseException):
            assert isinstance(e, ALLOWED), repr(e)


@pytest.mark.parametrize("pack", ["mysql.wire.json", "postgres.wire.json"])
def test_fuzz_mutated_server_streams(pack):
    seeds = _seeds(pack)
    assert len(seeds) >= 3
    examples = {"n": 0}

    @settings(
        max_examples=10_000,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        seed_pick=st.integers(0, 1 << 16),
        step_pick=st.integers(0, 1 << 16),
        kind=st.integers(0, 5),
        at=st.integers(0, 1 << 20),
        arg=st.integers(0, 1 << 16),
        chunk_seed=st.integers(0, 1 << 16),
    )
    def check(seed_pick, step_pick, kind, at, arg, chunk_seed):
        examples["n"] += 1
        run_mutated(seeds[seed_pick % len(seeds)], step_pick, kind, at, arg, chunk_seed)

    check()
    assert examples["n"] >= 10_000


def test_mutation_kinds_change_the_stream():
    data = bytes(range(40))
    assert all(mutate(data, k, 5, 7) != data for k in range(6))
    assert struct.calcsize("!i") == 4

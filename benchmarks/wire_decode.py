"""Decode throughput of the WireVM row path, in memory (no network).

For each wire style, builds a buffer of N narrow mixed rows (int, 11-char text, float, NULL,
bool/int) and measures
  * codec:  the batch row codec alone over the framed buffer, converters included;
  * core:   the whole sans-IO core: receive_data(buffer) then next_event() until Ready
            (framing, dispatch, Columns, Rows batches, ResultDone).
Prints rows/s. Figures are for tracking ratios between commits on one machine, not
absolutes; tests never assert timings.

    .venv/bin/python benchmarks/wire_decode.py [--rows 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.config import ConnectConfig
from engine.secret import Secret
from engine.wirevm import events as ev
from engine.wirevm import rowcodecs
from engine.wirevm.core import WireConnection
from engine.wirevm.packs import load_pack
from tests.engine import wirebuild as wb

MYSQL_COLS = [
    ("id", 3, 63),
    ("name", 253, 45),
    ("score", 5, 63),
    ("note", 253, 45),
    ("flag", 1, 63),
]
PG_COLS = [("id", 23), ("name", 25), ("score", 701), ("note", 25), ("flag", 16)]


def mysql_case(n: int):
    rows = [
        (str(i).encode(), b"name-%06d" % (i % 1000000), b"%.3f" % (i * 0.5), None, b"1")
        for i in range(n)
    ]
    conn = WireConnection(
        load_pack("mysql.wire.json"), ConnectConfig(scheme="mysql", user="u", password=Secret("p"))
    )
    conn.start()
    conn.receive_data(wb.packet(wb.greeting(), 0))
    conn.next_event()
    conn.receive_data(wb.packet(wb.ok(), 2))
    assert isinstance(conn.next_event(), ev.Ready)
    body = wb.resultset(MYSQL_COLS, rows, seq=1)
    return conn, body, n


def pg_case(n: int):
    rows = [(str(i), f"name-{i % 1000000:06d}", f"{i * 0.5:.3f}", None, "t") for i in range(n)]
    conn = WireConnection(
        load_pack("postgres.wire.json"),
        ConnectConfig(scheme="postgresql", user="u", sslmode="disable"),
    )
    conn.start()
    conn.receive_data(wb.pg_startup_ok())
    while not isinstance(conn.next_event(), ev.Ready):
        pass
    body = (
        wb.row_description(PG_COLS)
        + b"".join(wb.data_row(r) for r in rows)
        + wb.command_complete(f"SELECT {n}")
        + wb.ready()
    )
    return conn, body, n


def run_core(conn: WireConnection, body: bytes) -> int:
    conn.query("SELECT ...")
    conn.data_to_send()
    conn.receive_data(body)
    got = 0
    while True:
        e = conn.next_event()
        if type(e) is ev.Rows:
            got += len(e.rows)
        elif type(e) is ev.Ready:
            return got


def codec_only(conn: WireConnection, body: bytes) -> float:
    """Time the batch codec alone over the row frames of `body`."""
    conn.query("SELECT ...")
    conn.receive_data(body)
    while True:
        e = conn.next_event()
        if type(e) is ev.Columns:
            break
    convs, frames = conn._convs, conn.pack.dispatch.row_frames("rows")
    walker = rowcodecs.Walker(conn._framer, frames)
    buf, pos = bytes(conn._buf), conn._pos
    seq = conn._framer.seq
    t0 = time.perf_counter()
    rows, _ = conn.pack.row_style(convs, buf, pos, len(buf), walker)
    dt = time.perf_counter() - t0
    conn._framer.seq = seq
    run_rest(conn)
    return len(rows) / dt


def run_rest(conn: WireConnection) -> None:
    while not isinstance(conn.next_event(), ev.Ready):
        pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    for label, make in (
        ("lenenc_columns (MySQL text rows)", mysql_case),
        ("i16count_i32len_columns (PG DataRow)", pg_case),
    ):
        conn, body, n = make(args.rows)
        best_core = best_codec = 0.0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            got = run_core(conn, body)
            dt = time.perf_counter() - t0
            assert got == n, (got, n)
            best_core = max(best_core, n / dt)
            best_codec = max(best_codec, codec_only(conn, body))
        print(
            f"{label:40s} rows={n}  core: {best_core / 1000:8.0f} k rows/s   "
            f"codec only: {best_codec / 1000:8.0f} k rows/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The writer's latency during online schema changes vs the same change done naively.

    .venv/bin/python benchmarks/online_ddl.py [--rows 1000000]

Per server (PostgreSQL 15, MariaDB 10.11): fill a --rows table, start a writer that
inserts and updates one row per autocommit statement on its own connection (the workload
of tests/planner/test_online_writer.py), then for each change (add an index, add a NOT
NULL column with a default, change a column's type):
  1. run it with the strategy `engine.planner.online.choose` picked from the learned
     capabilities, recording the latency of every write that started during it;
  2. undo it with plain SQL (not measured);
  3. run the plain statement diff would emit (CREATE INDEX / ALTER TABLE), measured the same.
Prints p50 / p99 / max write latency (ms) per change and strategy, and the max ratio;
copy the table into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._servers import servers
from engine import connect
from tests.planner.test_online_writer import (
    WORKLOADS,
    Writer,
    online_ops,
    plain_ops,
    prepare,
    run_steps,
)

DB = "bench_online"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100.0 * (len(ordered) - 1)))]


def window(writer: Writer, t0: float, t1: float) -> list[float]:
    """Latencies (ms) of writes that started during [t0, t1] or were still running then."""
    return [d * 1000.0 for start, d in writer.latencies if t0 <= start + d and start <= t1]


def measured(session, writer: Writer, op, steps=None) -> tuple[list[float], float]:
    t0 = time.perf_counter()
    run_steps(session, op, steps)
    t1 = time.perf_counter()
    time.sleep(0.05)  # let a write blocked until the end record its latency
    return window(writer, t0, t1), t1 - t0


def bench(url: str, family: str, rows: int) -> list[tuple]:
    out = []
    with connect(url) as s:
        prepare(s, family, rows)
        ops = online_ops(s, DB, family, rows)
        naive = plain_ops(family)
        writer = Writer(url, rows).start()
        try:
            for online, plain in zip(ops, naive, strict=True):
                lat_on, sec_on = measured(s, writer, online)
                run_steps(s, plain, plain.rollback)  # undo, not measured
                lat_nv, sec_nv = measured(s, writer, plain)
                out.append((online.kind, online.strategy, lat_on, sec_on, lat_nv, sec_nv))
        finally:
            writer.finish()
        if writer.errors:
            raise SystemExit(f"writer failed: {writer.errors[:3]}")
    return out


def fresh(admin_url: str, family: str) -> str:
    base = admin_url.rstrip("/")
    if WORKLOADS[family]["schema"]:  # PostgreSQL URL names a database: swap it
        base = base.rsplit("/", 1)[0]
    with connect(admin_url) as s:
        s.execute(f"DROP DATABASE IF EXISTS {DB}")
        s.execute(f"CREATE DATABASE {DB}")
    return f"{base}/{DB}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    results = []
    with servers() as env:
        for label, var, family in (
            ("PostgreSQL 15", "NUBLOX_TEST_PG_URL", "postgres"),
            ("MariaDB 10.11", "NUBLOX_TEST_MARIADB_URL", "mysql"),
        ):
            url = fresh(env[var], family)
            for row in bench(url, family, args.rows):
                results.append((label, *row))
            with connect(env[var]) as s:
                s.execute(f"DROP DATABASE IF EXISTS {DB}")
    print(f"{args.rows:,} rows; writer: 1 INSERT or UPDATE per autocommit statement, latency ms\n")
    print(
        "| server | change | online strategy | online p50 / p99 / max | online s "
        "| naive p50 / p99 / max | naive s | naive max / online max |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for label, kind, strategy, on, s_on, nv, s_nv in results:

        def fmt(v):
            return f"{percentile(v, 50):.2f} / {percentile(v, 99):.2f} / {max(v, default=0):.1f}"

        ratio = max(nv, default=0) / max(max(on, default=0), 1e-9)
        print(
            f"| {label} | {kind} | {strategy} | {fmt(on)} | {s_on:.2f} | {fmt(nv)} "
            f"| {s_nv:.2f} | {ratio:.1f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

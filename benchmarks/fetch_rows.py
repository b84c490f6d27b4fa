"""Fetch N rows of mixed types, fully decoded: WireVM against its peers, same servers, same run.

    .venv/bin/python benchmarks/fetch_rows.py [--rows 1000000] [--repeat 3]

Each contender runs in its own child process (clean peak-memory figure, and psycopg's
implementation is chosen per process with PSYCOPG_IMPL). Peers use their usual fast path;
WireVM uses `stream()` (constant memory). Prints rows/s, peak RSS and ratios; copy the table
into docs/benchmarks.md. This is a measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._servers import servers

PG_SQL = (
    "SELECT i, 'row ' || i::text, i * 1.5::float8, i % 2 = 0, "
    "timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', "
    "(i::numeric / 7)::numeric(12,4) "
    "FROM generate_series(1, {n}) AS i"
)
MARIADB_SQL = (
    "SELECT seq, CONCAT('row ', seq), seq * 1.5e0, seq % 2 = 0, "
    "TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, CAST(seq / 7 AS DECIMAL(12,4)) "
    "FROM mysql.seq_1_to_{n}"
)

CHILD = r"""
import json, os, resource, sys, time
kind, url, sql = sys.argv[1], sys.argv[2], sys.argv[3]
from urllib.parse import urlsplit, unquote
u = urlsplit(url)
count = 0
t0 = time.perf_counter()
if kind == "wirevm":
    from engine import connect
    with connect(url) as s:
        for _row in s.stream(sql):
            count += 1
elif kind == "pymysql":
    import pymysql, pymysql.cursors
    c = pymysql.connect(host=u.hostname, port=u.port, user=unquote(u.username),
                        password=unquote(u.password), cursorclass=pymysql.cursors.SSCursor)
    with c.cursor() as cur:
        cur.execute(sql)
        for _row in cur:
            count += 1
    c.close()
elif kind == "mysql-connector":
    import mysql.connector
    c = mysql.connector.connect(host=u.hostname, port=u.port, user=unquote(u.username),
                                password=unquote(u.password), use_pure=False)
    cur = c.cursor()
    cur.execute(sql)
    for _row in cur:
        count += 1
    c.close()
elif kind.startswith("psycopg"):
    import psycopg
    with psycopg.connect(url) as c:
        cur = c.cursor()
        cur.execute(sql)
        for _row in cur:
            count += 1
    kind = f"psycopg ({psycopg.pq.__impl__})"
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"kind": kind, "rows": count, "seconds": elapsed, "peak_rss": peak}))
"""


def run(kind: str, url: str, sql: str, env_extra: dict[str, str]) -> dict:
    env = dict(os.environ, **env_extra)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, url, sql],
        capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    if out.returncode != 0:
        return {"kind": kind, "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(kind, url, sql, env_extra, repeat):
    runs = [run(kind, url, sql, env_extra) for _ in range(repeat)]
    ok = [r for r in runs if "error" not in r]
    return min(ok, key=lambda r: r["seconds"]) if ok else runs[-1]


def table(title: str, results: list[dict], baseline: str) -> str:
    base = next((r for r in results if r["kind"] == baseline and "error" not in r), None)
    lines = [f"### {title}", "", "| client | rows/s | peak RSS | WireVM / client |",
             "|---|---:|---:|---:|"]  # fmt: skip
    wire = next((r for r in results if r["kind"] == "wirevm" and "error" not in r), None)
    for r in results:
        if "error" in r:
            lines.append(f"| {r['kind']} | error: {r['error']} | | |")
            continue
        rate = r["rows"] / r["seconds"]
        ratio = (wire["rows"] / wire["seconds"]) / rate if wire else float("nan")
        peak = r["peak_rss"] / 2**20
        lines.append(f"| {r['kind']} | {rate:,.0f} | {peak:,.0f} MiB | {ratio:.2f}x |")
    del base
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per client; the best counts")
    args = parser.parse_args()
    with servers() as env:
        maria, pg = env["NUBLOX_TEST_MARIADB_URL"], env["NUBLOX_TEST_PG_URL"]
        msql, psql = MARIADB_SQL.format(n=args.rows), PG_SQL.format(n=args.rows)
        mariadb = [best(k, maria, msql, {}, args.repeat)
                   for k in ("wirevm", "pymysql", "mysql-connector")]  # fmt: skip
        postgres = [
            best("wirevm", pg, psql, {}, args.repeat),
            best("psycopg", pg, psql, {"PSYCOPG_IMPL": "python"}, args.repeat),
            best("psycopg", pg, psql, {"PSYCOPG_IMPL": "binary"}, args.repeat),
        ]
    print(f"{args.rows:,} rows of 6 mixed columns, best of {args.repeat}\n")
    print(table("MariaDB 10.11", mariadb, "pymysql"))
    print()
    print(table("PostgreSQL 15", postgres, "psycopg"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

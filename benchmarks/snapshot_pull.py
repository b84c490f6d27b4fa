"""Read a 1,000-table schema: `sqlx snapshot:pull` vs pg_dump / mariadb-dump, same run.

    .venv/bin/python benchmarks/snapshot_pull.py [--tables 1000] [--views 50] [--repeat 3]

Builds the schema once per server (about 10 columns per table, a primary key, two
secondary indexes, a foreign key to the previous table, plus views), then times each tool
reading it, best of N, as wall-clock seconds of the whole command (process start included,
for all contenders), the contenders taking turns. Prints a table with ratios; copy it into
docs/benchmarks.md.

The engine is byte-compiled first, as `pip install .` leaves it (`byte_compile_engine`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._servers import byte_compile_engine, servers

ROOT = Path(__file__).resolve().parents[1]
SQLX = [sys.executable, "-m", "engine.cli"]
DB = "bench_schema"


def table_ddl(i: int, dialect: str) -> list[str]:
    fk = (
        f", CONSTRAINT t{i}_parent_fk FOREIGN KEY (parent_id) REFERENCES t{i - 1} (id)" if i else ""
    )
    ts = "timestamptz" if dialect == "postgres" else "datetime(6)"
    return [
        f"CREATE TABLE t{i} (id bigint PRIMARY KEY, parent_id bigint, code varchar(40) NOT NULL, "
        f"name varchar(200), qty integer NOT NULL DEFAULT 0, price numeric(12,2), "
        f"active boolean NOT NULL DEFAULT true, created_at {ts} NOT NULL, note text, "
        f"score double precision{fk})",
        f"CREATE INDEX t{i}_code_idx ON t{i} (code)",
        f"CREATE INDEX t{i}_created_idx ON t{i} (created_at, qty)",
    ]


def build(run_sql, tables: int, views: int, dialect: str) -> None:
    statements = [s for i in range(tables) for s in table_ddl(i, dialect)]
    statements += [
        f"CREATE VIEW v{j} AS SELECT id, code, qty * price AS total FROM t{j * (tables // views)} "
        f"WHERE active"
        for j in range(views)
    ]
    run_sql(statements)


def timed(argv: list[str], env: dict[str, str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        best = min(best, run_once(argv, env))
    return best


def run_once(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {out.stderr.strip()[-500:]}")
    return elapsed


def interleaved(contenders: list[tuple[list[str], dict[str, str]]], repeat: int) -> list[float]:
    """Best of `repeat` for each contender, taking turns (A, B, A, B, ...): whatever the
    machine or the server is doing meanwhile (another job, autovacuum after the build)
    falls on both, not on whichever ran first."""
    best = [float("inf")] * len(contenders)
    for _ in range(repeat):
        for i, (argv, env) in enumerate(contenders):
            best[i] = min(best[i], run_once(argv, env))
    return best


def settle_pg(url: str) -> None:
    """Let PostgreSQL finish with the freshly built schema before anything is timed:
    statistics gathered and dirty pages written, so autovacuum and the checkpointer do not
    run during the first timed commands."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as c:
        c.execute("VACUUM ANALYZE")
        c.execute("CHECKPOINT")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--views", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import psycopg

    from tests._services import mariadb_connect

    byte_compile_engine()
    rows = []
    with servers() as env, tempfile.TemporaryDirectory() as tmp:
        pg_admin = env["NUBLOX_TEST_PG_URL"]
        with psycopg.connect(pg_admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {DB}")
            c.execute(f"CREATE DATABASE {DB}")
        pg_url = pg_admin.rsplit("/", 1)[0] + f"/{DB}"
        with psycopg.connect(pg_url, autocommit=True) as c:
            build(lambda sqls: [c.execute(s) for s in sqls], args.tables, args.views, "postgres")
        settle_pg(pg_url)

        maria_admin = env["NUBLOX_TEST_MARIADB_URL"]
        conn = mariadb_connect(maria_admin)
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DB}")
            cur.execute(f"CREATE DATABASE {DB}")
            cur.execute(f"USE {DB}")
            build(lambda sqls: [cur.execute(s) for s in sqls], args.tables, args.views, "mysql")
        conn.close()
        maria_url = maria_admin.rstrip("/") + f"/{DB}"

        base_env = dict(os.environ)
        p = urlsplit(pg_url)
        pg_env = dict(base_env, PGPASSWORD=unquote(p.password or ""))
        pg_dump = [shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump",
                   "--schema-only", "-h", p.hostname, "-p", str(p.port), "-U", unquote(p.username),
                   "-f", f"{tmp}/pg.sql", DB]  # fmt: skip
        m = urlsplit(maria_url)
        maria_env = dict(base_env, MYSQL_PWD=unquote(m.password or ""))
        maria_dump = [shutil.which("mariadb-dump") or "mysqldump", "--no-data",
                      "-h", m.hostname, "-P", str(m.port), "-u", unquote(m.username),
                      f"--result-file={tmp}/m.sql", DB]  # fmt: skip
        for label, url, peer_name, peer, peer_env in (
            ("PostgreSQL 15", pg_url, "pg_dump --schema-only", pg_dump, pg_env),
            ("MariaDB 10.11", maria_url, "mariadb-dump --no-data", maria_dump, maria_env),
        ):
            ours, theirs = interleaved(
                [([*SQLX, "snapshot:pull", url, "-o", f"{tmp}/snap.json"], base_env),
                 (peer, peer_env)], args.repeat)  # fmt: skip
            rows.append((label, ours, peer_name, theirs))
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1/5/15 min) after the timed runs: {load} on {os.cpu_count()} cores")
    print(f"{args.tables} tables (+{args.views} views), best of {args.repeat}, wall-clock s\n")
    print("| server | sqlx snapshot:pull | peer | peer s | sqlx / peer |")
    print("|---|---:|---|---:|---:|")
    for label, ours, peer_name, theirs in rows:
        print(f"| {label} | {ours:.2f} | {peer_name} | {theirs:.2f} | {ours / theirs:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Diff two 1,000-table PostgreSQL schemas about 5% apart: `sqlx plan:diff` vs migra.

    .venv/bin/pip install -e '.[bench]'      # migra and its driver (benchmark peers only)
    .venv/bin/python benchmarks/plan_diff.py [--tables 1000] [--repeat 3]

Builds schema A (the snapshot_pull benchmark's tables and views) and schema B = A with
about 5% of the tables changed: a new column on 10 tables, `qty` widened to bigint on 10
tables that a view reads, an index dropped on 10, an index added on 10, 10 new tables.
Times both tools reading the two live databases and writing their migration (best and
median of N, wall clock, process start included, the two taking turns after the server has
settled; the 1-minute load average before each pair is printed with them).
Then applies each tool's output to a fresh copy of A and reports whether it ran and
whether the result equals B (sqlx: `sqlx apply`, which verifies by re-learning; migra:
its SQL through psql, compared with `sqlx snapshot:pull`).
The engine is byte-compiled first, as `pip install .` leaves it (`byte_compile_engine`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._servers import byte_compile_engine, servers
from benchmarks.snapshot_pull import build, settle_pg

ROOT = Path(__file__).resolve().parents[1]
SQLX = [sys.executable, "-m", "engine.cli"]
MIGRA = [
    sys.executable,
    "-c",
    "import sys; from migra.command import do_command; sys.exit(do_command())",
]


def changes(tables: int, views: int) -> list[str]:
    """B minus A: about 5% of the tables touched; the type change is under a view."""
    step = tables // views  # v{j} reads t{j * step}
    viewed = [j * step for j in range(min(10, views))]
    plain = [i for i in range(tables) if i % step][:30]
    out = [f"ALTER TABLE t{i} ADD COLUMN extra text" for i in plain[:10]]
    out += [f"ALTER TABLE t{i} ALTER COLUMN qty TYPE bigint" for i in viewed]
    out += [f"DROP INDEX t{i}_code_idx" for i in plain[10:20]]
    out += [f"CREATE INDEX t{i}_name_idx ON t{i} (name)" for i in plain[20:30]]
    out += [
        f"CREATE TABLE n{k} (id bigint PRIMARY KEY, label varchar(80) NOT NULL, "
        f"t_id bigint REFERENCES t{k} (id))"
        for k in range(10)
    ]
    return out


def make_database(admin_url: str, name: str, statements: list[str]) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(url, autocommit=True) as c:
        for sql in statements:
            c.execute(sql)
    return url


def schema_a(tables: int, views: int) -> list[str]:
    statements: list[str] = []
    build(statements.extend, tables, views, "postgres")
    return statements


def dependent_view_change(statements: list[str], tables: int, views: int) -> list[str]:
    """PostgreSQL refuses ALTER COLUMN TYPE under a view: B is built by dropping the views
    first and recreating them after, which is what a correct plan must do too."""
    view_sql = [s for s in statements if s.startswith("CREATE VIEW")]
    drops = [f"DROP VIEW v{j}" for j in range(views)]
    return drops + changes(tables, views) + view_sql


def timed(argv: list[str], env: dict[str, str], repeat: int, ok=(0,)) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        run = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t0)
        if run.returncode not in ok:
            raise SystemExit(f"{argv[:3]} failed ({run.returncode}): {run.stderr.strip()[-800:]}")
        out = run.stdout
    return best, out


def pull_hash(url: str, env: dict[str, str]) -> str:
    run = subprocess.run([*SQLX, "learn", url, "--json"], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True)  # fmt: skip
    return json.loads(run.stdout)["databases"][0]["profile_hash"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--views", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("psql") is None and not Path("/usr/lib/postgresql/15/bin/psql").exists():
        raise SystemExit("psql is needed to run migra's output (apt-get install postgresql-client)")
    psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    env = dict(os.environ)
    byte_compile_engine()
    with servers() as senv, tempfile.TemporaryDirectory() as tmp:
        admin = senv["NUBLOX_TEST_PG_URL"]
        a_sql = schema_a(args.tables, args.views)
        url_a = make_database(admin, "bench_diff_a", a_sql)
        url_b = make_database(
            admin, "bench_diff_b", a_sql + dependent_view_change(a_sql, args.tables, args.views)
        )
        settle_pg(url_a)
        settle_pg(url_b)
        plan_file = f"{tmp}/plan.json"
        ours_all: list[float] = []
        theirs_all: list[float] = []
        loads: list[float] = []
        migra_sql = ""
        for _ in range(args.repeat):  # taking turns: the machine's state falls on both
            loads.append(os.getloadavg()[0])
            seconds, _ = timed([*SQLX, "plan:diff", "--from", url_a, "--to", url_b, "-o",
                                plan_file], env, 1)  # fmt: skip
            ours_all.append(seconds)
            seconds, migra_sql = timed([*MIGRA, "--unsafe", url_a, url_b], env, 1, ok=(0, 2))
            theirs_all.append(seconds)
        ours, theirs = min(ours_all), min(theirs_all)
        plan = json.loads(Path(plan_file).read_text())
        hash_b = pull_hash(url_b, env)

        url_c = make_database(admin, "bench_diff_c", a_sql)
        applied = subprocess.run([*SQLX, "apply", url_c, "--plan", plan_file, "--yes",
                                  "--allow-destructive"], env=env, cwd=ROOT, capture_output=True,
                                 text=True)  # fmt: skip
        ours_ok = applied.returncode == 0 and pull_hash(url_c, env) == hash_b
        ours_note = "applies; result equals B" if ours_ok else applied.stderr.strip()[-300:]

        url_d = make_database(admin, "bench_diff_d", a_sql)
        Path(f"{tmp}/migra.sql").write_text(migra_sql)
        d = urlsplit(url_d)
        ran = subprocess.run([psql, "-v", "ON_ERROR_STOP=1", "-q", "-h", d.hostname, "-p",
                              str(d.port), "-U", unquote(d.username), "-d", "bench_diff_d", "-f",
                              f"{tmp}/migra.sql"], env=dict(env, PGPASSWORD=unquote(d.password)),
                             capture_output=True, text=True)  # fmt: skip
        if ran.returncode == 0:
            same = pull_hash(url_d, env) == hash_b
            migra_note = "applies; result equals B" if same else "applies; result differs from B"
        else:
            migra_note = "fails: " + " ".join(ran.stderr.split())[:200]

    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1/5/15 min) after the timed runs: {load} on {os.cpu_count()} cores")
    print("1-min load before each pair: " + " ".join(f"{x:.1f}" for x in loads))
    n = len(changes(args.tables, args.views))
    print(f"{args.tables} tables (+{args.views} views), B = A with {n} changes; "
          f"best of {args.repeat}, wall-clock s\n")  # fmt: skip
    print("| tool | seconds | operations | applies to A? |")
    print("|---|---:|---:|---|")
    print(f"| sqlx plan:diff | {ours:.2f} | {len(plan['operations'])} | {ours_note} |")
    migra_ops = sum(1 for line in migra_sql.splitlines() if line.strip().endswith(";"))
    print(f"| migra | {theirs:.2f} | {migra_ops} | {migra_note} |")
    print(
        f"\nmigra / sqlx: {theirs / ours:.2f}x (best of each); "
        f"{statistics.median(theirs_all) / statistics.median(ours_all):.2f}x (medians)"
    )
    print("sqlx runs:  " + " ".join(f"{x:.2f}" for x in ours_all))
    print("migra runs: " + " ".join(f"{x:.2f}" for x in theirs_all))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

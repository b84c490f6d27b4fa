"""Studio pages on a 1,000-table database: explorer server time, dashboard p95 under load.

    .venv/bin/python benchmarks/studio_pages.py [--tables 1000] [--views 50] [--repeat 20]
        [--clients 1,10,50] [--requests 2000]

Builds the schema of benchmarks/snapshot_pull.py on the throwaway PostgreSQL, then sets up
a temporary embedded platform (NUBLOX_DATA_DIR in a temp folder: SQLite, local secret
store), migrates it, creates a workspace and a connection, and learns the database through
the platform's own code (apps.connections.learning). The workspace also gets a realistic
history for the dashboard: more connections, plans carrying both snapshots, jobs and audit
events.

1. Server time, in this process with Django's test Client (no network): the explorer's
   first page, the tree opened at the database and at its tables, and the other explorer
   pages. "cold" is the first request after the parsed-snapshot caches were emptied (what
   the first visitor after a learn pays); then best and median of `--repeat` requests.
2. The dashboard under load: daphne on loopback serving the same data folder, as the
   embedded default runs it; one run per number in `--clients` (default 1, 10 and 50
   concurrent clients), each client a thread with its own keep-alive `http.client`
   connection and the session cookie of the signed-in owner, `--requests` requests per
   run. Prints p50/p95/p99/max latency and requests per second.

Every response is checked (status 200 and a marker of the page), so a broken page fails
the run instead of looking fast. Copy the printed tables into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._servers import servers  # noqa: E402
from benchmarks.snapshot_pull import build  # noqa: E402

DB = "bench_studio"
SLUG = "bench"
HOST = f"{SLUG}.localhost"
EXTRA_CONNECTIONS = 19
PLANS = 40
RUNS = 200
AUDIT_EVENTS = 5000


# --- set-up ---------------------------------------------------------------------------------


def build_database(admin_url: str, tables: int, views: int) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB}")
        c.execute(f"CREATE DATABASE {DB}")
    parts = urlsplit(admin_url)
    url = urlunsplit(parts._replace(path=f"/{DB}"))
    with psycopg.connect(url, autocommit=True) as c:
        build(lambda sqls: [c.execute(s) for s in sqls], tables, views, "postgres")
    return url


def platform_env(data_dir: str) -> dict[str, str]:
    """The environment of the embedded default on `data_dir` (for this process and daphne)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    env.update(NUBLOX_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="nublox.settings")
    return env


def setup_django(data_dir: str) -> None:
    for name in ("DATABASE_URL", "DEBUG"):
        os.environ.pop(name, None)
    os.environ.update(NUBLOX_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="nublox.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(pg_url: str) -> tuple:
    """The workspace's owner and the learned connection (plus history for the dashboard)."""
    from django.contrib.auth import get_user_model

    from apps.audit.log import record_many
    from apps.connections import actions, snapshots
    from apps.connections.learning import learn_connection
    from apps.connections.models import Connection
    from apps.jobs.models import Run
    from apps.plans.models import Plan
    from apps.workspaces.actions import do_create_workspace

    owner = get_user_model().objects.create_user(
        username="owner@bench.test", email="owner@bench.test"
    )
    workspace = do_create_workspace(owner, "Bench", SLUG)
    parts = urlsplit(pg_url)
    password = parts.password or ""
    netloc = f"{parts.username}@{parts.hostname}:{parts.port}"
    url = urlunsplit(parts._replace(netloc=netloc))
    connection = actions.do_create_connection(workspace, owner, "bench", url, password=password)
    started = time.perf_counter()
    result = learn_connection(connection, owner, databases=[DB])
    learn_s = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"learning {DB} failed: {result.message}")
    schema = connection.databases.get(name=DB)
    after = snapshots.store(
        workspace, schema.latest.profile_json, schema.profile_hash, origin="plan"
    )

    for i in range(EXTRA_CONNECTIONS):
        status = Connection.Status.FAILING if i % 5 == 0 else Connection.Status.NEW
        error = f"Cannot reach db{i}.internal:5432. Connection refused" if i % 5 == 0 else ""
        Connection.objects.create(
            workspace=workspace,
            name=f"server-{i:02}",
            url=f"postgresql://app@db{i}.internal:5432/app",
            status=status,
            last_error=error,
        )
    Plan.objects.bulk_create(
        Plan(
            workspace=workspace,
            connection=connection,
            database=DB,
            title=f"Change {i}",
            source_kind=Plan.Source.SNAPSHOT,
            state=Plan.State.DRAFT,
            # what the plans app stores: the two snapshots it was computed between
            before=schema.latest,
            after=after,
            created_by=owner,
        )
        for i in range(PLANS)
    )
    Run.objects.bulk_create(
        Run(
            workspace=workspace,
            kind="learn",
            state=Run.State.SUCCEEDED,
            percent=100,
            target_label="bench",
            created_by=owner,
        )
        for _ in range(RUNS)
    )
    events = (
        {"action": "query.run", "actor": owner, "target": connection, "details": {"n": i}}
        for i in range(AUDIT_EVENTS)
    )
    record_many(workspace, events)
    return owner, connection, learn_s


# --- server time in process -----------------------------------------------------------------


def pages(connection_id: int) -> list[tuple[str, str, dict, str]]:
    """(label, path, extra headers, a text the answer must contain)."""
    tree = f"/explore/{connection_id}/"
    db = f"?db={DB}"
    return [
        ("Explorer: first page (databases)", tree, {}, DB),
        ("Tree: database opened (kinds, counts)", tree + db, {}, "Tables"),
        ("Tree: tables, first 50 (page)", f"{tree}{db}&kind=tables", {}, "more (50 of "),
        (
            "Tree: tables, first 50 (htmx fragment)",
            f"{tree}{db}&kind=tables",
            {"HTTP_HX_REQUEST": "true"},
            "more (50 of ",
        ),
        (
            "Connection page (tree top, capability matrix)",
            f"/connections/{connection_id}/",
            {},
            "Capability matrix",
        ),
        ("Table detail (t500)", f"{tree}table/{db}&schema=public&name=t500", {}, "t500_code_idx"),
        ("Search “t99”", f"{tree}search/?q=t99", {}, "t99_code_idx"),
        ("ER diagram, first page", f"{tree}er/{db}", {}, "<svg"),
        ("Dashboard", "/", {}, "Recent jobs"),
    ]


def time_pages(owner, connection, repeat: int) -> list[tuple[str, float, float, float]]:
    from django.core.cache import cache
    from django.test import Client

    from apps.studio.explore import snapshots

    client = Client(HTTP_HOST=HOST)
    client.force_login(owner)

    def get(path: str, headers: dict, marker: str) -> float:
        started = time.perf_counter()
        response = client.get(path, **headers)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or marker not in response.content.decode():
            raise SystemExit(f"GET {path}: {response.status_code}, no {marker!r} in the answer")
        return elapsed

    rows = []
    for _label, path, headers, marker in pages(connection.pk):
        get(path, headers, marker)  # imports and compiled templates: not what "cold" means
    for label, path, headers, marker in pages(connection.pk):
        cache.clear()
        snapshots.forget_all()
        cold = get(path, headers, marker)
        warm = [get(path, headers, marker) for _ in range(repeat)]
        rows.append((label, cold, min(warm), statistics.median(warm)))
    return rows


# --- the dashboard under load ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_daphne(data_dir: str, port: int) -> subprocess.Popen:
    argv = [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port),
            "nublox.asgi:application"]  # fmt: skip
    log = open(Path(data_dir) / "daphne.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        argv, cwd=ROOT, env=platform_env(data_dir), stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"daphne exited; see {log.name}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("daphne did not start listening within 60 s")


def load(port: int, cookie: str, clients: int, total: int) -> tuple[list[float], float]:
    """Latencies (s) of `total` GET / spread over `clients` threads, and the wall time.
    `cookie` is the whole Cookie header of a signed-in session."""
    remaining = iter(range(total))
    take = threading.Lock()
    latencies: list[float] = []
    headers = {"Host": f"{HOST}:{port}", "Cookie": cookie}

    def client() -> list[float]:
        mine = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while True:
                with take:
                    if next(remaining, None) is None:
                        return mine
                started = time.perf_counter()
                conn.request("GET", "/", headers=headers)
                response = conn.getresponse()
                body = response.read()
                mine.append(time.perf_counter() - started)
                if response.status != 200 or b"Recent jobs" not in body:
                    raise RuntimeError(f"dashboard answered {response.status}")
        finally:
            conn.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for part in pool.map(lambda _: client(), range(clients)):
            latencies += part
    return latencies, time.perf_counter() - started


def percentile(sorted_values: list[float], p: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--views", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--clients",
        default="1,10,50",
        help="concurrent dashboard clients, one load run per number (comma-separated)",
    )
    parser.add_argument("--requests", type=int, default=2000, help="dashboard requests per run")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]

    with servers() as env, tempfile.TemporaryDirectory(prefix="nublox-studio-bench-") as tmp:
        started = time.perf_counter()
        pg_url = build_database(env["NUBLOX_TEST_PG_URL"], args.tables, args.views)
        build_s = time.perf_counter() - started
        setup_django(tmp)
        owner, connection, learn_s = seed(pg_url)
        size_mb = connection.databases.get(name=DB).latest.size / 1e6
        rows = time_pages(owner, connection, args.repeat)

        from django.conf import settings
        from django.test import Client

        signed_in = Client(HTTP_HOST=HOST)
        signed_in.force_login(owner)
        name = settings.SESSION_COOKIE_NAME
        cookie = f"{name}={signed_in.cookies[name].value}"
        port = free_port()
        daphne = start_daphne(tmp, port)
        try:
            load(port, cookie, 5, 50)  # warm up: imports, compiled templates
            runs = [(n, *load(port, cookie, n, args.requests)) for n in levels]
        finally:
            daphne.terminate()
            daphne.wait(timeout=30)

    print(f"PostgreSQL: {args.tables} tables + {args.views} views built in {build_s:.1f} s, "
          f"learned through the platform in {learn_s:.1f} s; stored snapshot {size_mb:.1f} MB; "
          f"{PLANS} plans\n")  # fmt: skip
    print(f"Server time, in process (Django test Client), ms; best and median of {args.repeat}\n")
    print("| page | cold (first after learn) | best | median |")
    print("|---|---:|---:|---:|")
    for label, cold, best, median in rows:
        print(f"| {label} | {cold * 1000:.1f} | {best * 1000:.1f} | {median * 1000:.1f} |")
    print("\nDashboard under load: daphne on loopback, signed-in owner, keep-alive clients\n")
    print("| clients | requests | p50 ms | p95 ms | p99 ms | max ms | req/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for clients, latencies, wall in runs:
        ordered = sorted(latencies)
        p50, p95, p99 = (percentile(ordered, p) * 1000 for p in (50, 95, 99))
        print(
            f"| {clients} | {len(ordered)} | {p50:.1f} | {p95:.1f} | {p99:.1f} | "
            f"{ordered[-1] * 1000:.1f} | {len(ordered) / wall:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

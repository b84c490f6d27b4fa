"""Audit chain: append 1,000,000 events, then verify the chain and export it as a bundle.

    .venv/bin/python benchmarks/audit_chain.py                        # embedded SQLite
    .venv/bin/python benchmarks/audit_chain.py --database-url postgresql://u:p@host/db

Runs the platform's own code (apps.audit) against a new embedded SQLite database in a
temporary folder, or against the PostgreSQL database given (migrated first; the events go
to a new workspace there, nothing else is touched). Times, in order: `record_many` in
batches (one transaction each), `--singles` single `record` calls (one transaction each,
the path every action takes), `verify_chain` over the whole chain, `export_bundle` of the
whole chain to a .zip, and the offline check of that bundle (apps.audit.bundle_verify).
Peak RSS is printed to show that verify and export stream. Target (issue #6): export of
1,000,000 events in under 30 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django(database_url: str | None, data_dir: str) -> None:
    os.environ["NUBLOX_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nublox.settings")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(events: int, singles: int, batch: int, out_dir: Path) -> list[tuple]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from apps.audit import bundle_verify, keys
    from apps.audit.bundle import export_bundle
    from apps.audit.log import record, record_many
    from apps.audit.verify import verify_chain
    from apps.workspaces.models import Workspace

    tag = uuid.uuid4().hex[:8]
    actor = get_user_model().objects.create_user(
        username=f"bench-{tag}@example.test", email=f"bench-{tag}@example.test"
    )
    workspace = Workspace.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    project = workspace.projects.create(name="Default")
    rows = []

    def batch_of(start: int, size: int):
        for i in range(start, start + size):
            yield {
                "action": "apply",
                "actor": actor,
                "target": project,
                "details": {"plan": i, "database": "shop", "operations": i % 7, "online": True},
            }

    started = time.perf_counter()
    for start in range(0, events, batch):
        record_many(workspace, batch_of(start, min(batch, events - start)))
    rows.append(("record_many", events, time.perf_counter() - started))

    started = time.perf_counter()
    for i in range(singles):
        record(workspace, actor, "learn", target=project, details={"database": "shop", "n": i})
    rows.append(("record (single)", singles, time.perf_counter() - started))
    total = events + singles

    started = time.perf_counter()
    result = verify_chain(workspace)
    rows.append(("verify_chain", total, time.perf_counter() - started))
    assert result.ok and result.count == total, result.message

    bundle = out_dir / "bundle.zip"
    started = time.perf_counter()
    with bundle.open("wb") as sink:
        manifest = export_bundle(workspace, sink, None, None)
    rows.append(("export_bundle", total, time.perf_counter() - started))
    assert manifest["count"] == total

    started = time.perf_counter()
    report = bundle_verify.verify_bundle(bundle, keys.public_key_pem().encode())
    rows.append(("bundle_verify (offline)", total, time.perf_counter() - started))
    assert report.count == total
    print(
        f"database: {connection.vendor}; bundle {bundle.stat().st_size / 1e6:.1f} MB; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events via record_many")
    parser.add_argument("--singles", type=int, default=10_000, help="single record() calls")
    parser.add_argument("--batch", type=int, default=10_000, help="events per record_many call")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: embedded SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nublox-audit-bench-") as data_dir:
        setup_django(args.database_url, data_dir)
        rows = run(args.events, args.singles, args.batch, Path(data_dir))
    print(f"{'step':<26} {'events':>10} {'seconds':>9} {'events/s':>10}")
    for step, count, seconds in rows:
        print(f"{step:<26} {count:>10,} {seconds:>9.2f} {count / seconds:>10,.0f}")


if __name__ == "__main__":
    main()

"""The platform on its production parts: PostgreSQL as the platform database.

The platform, connections, secrets, licensing and audit tests run again in one child
pytest with DATABASE_URL pointing at the throwaway PostgreSQL (pytest-django creates and
drops its test database there), and `migrate` + `seed_demo` run against a fresh PostgreSQL
database as an operator would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INNER = "NUBLOX_TEST_INNER_RUN"  # informational: this module is not among those re-run


def _env(tmp_path, database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        NUBLOX_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="nublox.settings",
        **{INNER: "1"},
    )
    return env


#: Everything that touches the platform database, run again on PostgreSQL in one child pytest.
#: Folders are taken whole, so a new test module there is covered without touching this list.
ON_POSTGRESQL = [
    "tests/platform/test_permissions.py",
    "tests/platform/test_tenant_isolation.py",
    "tests/platform/test_signup_and_invitations.py",
    "tests/platform/test_handoff.py",
    "tests/platform/test_demo_seed.py",
    "tests/connections",
    "tests/secrets",
    "tests/licensing",
    "tests/audit",
    "tests/plans",
    "tests/explorer",
    "tests/sql",
    "tests/api",
    "tests/studio",
    # Not collected on SQLite (they would have nothing to test there); named here.
    "tests/audit/pg_only.py",
]
#: Tests that exist only for PostgreSQL: the child's -rA report must show each PASSED.
MUST_PASS_ON_POSTGRESQL = [
    "tests/audit/pg_only.py::test_concurrent_appenders_never_fork",
    "tests/audit/pg_only.py::test_the_trigger_refuses_raw_update_and_delete",
]


def _modules() -> list[str]:
    """Folders as their test modules: pytest drops a file named next to its own folder on
    the command line as a duplicate, and pg_only.py must be collected."""
    modules: list[str] = []
    for item in ON_POSTGRESQL:
        path = ROOT / item
        found = sorted(path.glob("test_*.py")) if path.is_dir() else [path]
        modules += [str(module.relative_to(ROOT)) for module in found]
    return modules


@pytest.mark.timeout(1800)  # the child runs several hundred tests; it has its own bound
def test_platform_suite_on_postgresql(tmp_path, pg_url, mariadb_url, redis_url):
    env = _env(tmp_path, pg_url, redis_url)
    env.pop("VAULT_ADDR", None)  # the real-Vault tests are for the developer's own Vault
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *_modules()],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    summary = out.stdout.strip().splitlines()[-1]  # -rA also prints captured logs
    assert " passed" in summary and " failed" not in summary and " error" not in summary, summary
    for test in MUST_PASS_ON_POSTGRESQL:
        assert f"PASSED {test}" in out.stdout, f"{test} did not pass on PostgreSQL"


def test_migrate_and_seed_on_postgresql(tmp_path, fresh_pg_database, redis_url):
    env = _env(tmp_path, fresh_pg_database, redis_url)
    for command in (["migrate", "--no-input"], ["seed_demo"], ["seed_demo"], ["check"]):
        out = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
        assert out.returncode == 0, (command, out.stdout[-2000:], out.stderr[-2000:])
    import psycopg

    with psycopg.connect(fresh_pg_database) as conn:
        slugs = conn.execute("SELECT slug FROM workspaces_workspace").fetchall()
    assert slugs == [("demo",)]

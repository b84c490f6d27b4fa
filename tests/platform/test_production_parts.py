"""The platform on its production parts: PostgreSQL as the platform database.

The platform test modules run again in a child pytest with DATABASE_URL pointing at the
throwaway PostgreSQL (pytest-django creates and drops its test database there), and
`migrate` + `seed_demo` run against a fresh PostgreSQL database as an operator would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_platform_suite_on_postgresql(tmp_path, pg_url, redis_url):
    modules = [
        "tests/platform/test_permissions.py",
        "tests/platform/test_tenant_isolation.py",
        "tests/platform/test_signup_and_invitations.py",
        "tests/platform/test_handoff.py",
        "tests/platform/test_demo_seed.py",
    ]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *modules],
        cwd=ROOT, env=_env(tmp_path, pg_url, redis_url), capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and " failed" not in out.stdout


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

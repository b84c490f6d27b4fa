"""Pytest plugin: the throwaway servers for a test session, and fixtures that hand out their URLs.

Why: tests talk to real servers and must FAIL, never skip, when one is missing. This plugin
makes the servers appear for a plain `pytest` run (started once per session by
scripts/testservices.py, stopped however the run ends), or reuses servers a developer keeps
running (`testservices.py start` then `source D/env`, or NUBLOX_TEST_SERVICES_ENV=D/env).
Loaded from tests/conftest.py with `pytest_plugins = ["tests._services"]`.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "testservices.py"

# fixture name -> (environment variable, what a failure message calls it)
URL_FIXTURES = {
    "pg_url": ("NUBLOX_TEST_PG_URL", "PostgreSQL (nublox_admin)"),
    "pg_md5_url": ("NUBLOX_TEST_PG_MD5_URL", "PostgreSQL (md5_user)"),
    "pg_scram_url": ("NUBLOX_TEST_PG_SCRAM_URL", "PostgreSQL (scram_user)"),
    "pg_tls_only_url": ("NUBLOX_TEST_PG_TLS_ONLY_URL", "PostgreSQL (tls_only)"),
    "mariadb_url": ("NUBLOX_TEST_MARIADB_URL", "MariaDB (nublox_admin)"),
    "mariadb_native_url": ("NUBLOX_TEST_MARIADB_NATIVE_URL", "MariaDB (native_user)"),
    "mariadb_ed25519_url": ("NUBLOX_TEST_MARIADB_ED25519_URL", "MariaDB (ed25519_user)"),
    "mariadb_tls_url": ("NUBLOX_TEST_MARIADB_TLS_URL", "MariaDB (tls_user)"),
    "redis_url": ("NUBLOX_TEST_REDIS_URL", "Redis"),
}
SERVICE_FIXTURES = frozenset(URL_FIXTURES) | {
    "test_ca_file",
    "chromium_path",
    "fresh_pg_database",
    "fresh_mariadb_database",
}

# pytest options under which no test runs, so no server is worth starting
NOTHING_RUNS_OPTIONS = ("collectonly", "help", "showfixtures", "show_fixtures_per_test", "markers")


def load_harness():
    """scripts/ is not a package: import scripts/testservices.py by path, once."""
    module = sys.modules.get("testservices")
    if module is None:
        spec = importlib.util.spec_from_file_location("testservices", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules["testservices"] = module
        spec.loader.exec_module(module)
    return module


class _Session:
    """The servers this process started (if any) and how to stop them exactly once."""

    root: Path | None = None
    reaper: subprocess.Popen | None = None
    start_error: str = ""
    old_handlers: dict[int, object] = {}
    stopping: bool = False

    @classmethod
    def stop(cls) -> None:
        cls.stopping = True
        root, cls.root = cls.root, None
        if root is not None:
            load_harness().stop(root)
        reaper, cls.reaper = cls.reaper, None
        if reaper is not None:
            reaper.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                reaper.wait(timeout=5)
        for signum, handler in cls.old_handlers.items():
            signal.signal(signum, handler)
        cls.old_handlers = {}


def _on_signal(signum, frame) -> None:
    """SIGTERM/SIGHUP: stop the servers, then die of the same signal as we would have."""
    if _Session.stopping:
        return  # already stopping them: let that finish (unconfigure ends the run anyway)
    _Session.stop()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _say(config: pytest.Config, text: str) -> None:
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(text, file=sys.stderr, flush=True)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or os.environ.get("PYTEST_XDIST_WORKER"):
        return  # xdist worker: the controller started the servers and we inherit its env
    env_file = os.environ.get("NUBLOX_TEST_SERVICES_ENV")
    if env_file:
        try:
            os.environ.update(load_harness().read_env_file(Path(env_file)))
        except OSError as exc:
            raise pytest.UsageError(f"NUBLOX_TEST_SERVICES_ENV={env_file}: {exc}") from None
        return
    if os.environ.get("NUBLOX_TEST_PG_URL") or any(
        getattr(config.option, name, False) for name in NOTHING_RUNS_OPTIONS
    ):
        return  # a developer keeps servers running, or no test will run
    harness = load_harness()
    began = time.monotonic()
    try:
        env = harness.start()
    except harness.ServiceError as exc:
        _Session.start_error = str(exc)
        _say(config, f"test services: FAILED to start ({exc}); tests that need them will fail")
        return
    _Session.root = Path(env["NUBLOX_TEST_SERVICES_DIR"])
    os.environ.update(env)
    atexit.register(_Session.stop)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        _Session.old_handlers[signum] = signal.signal(signum, _on_signal)
    # A watchdog outside pytest stops the servers even if this process is SIGKILLed.
    _Session.reaper = subprocess.Popen(
        [sys.executable, str(SCRIPT), "reap", "--dir", str(_Session.root)]
        + ["--pid", str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    took = time.monotonic() - began
    _say(config, f"test services: PostgreSQL, MariaDB, Redis up in {took:.1f}s at {_Session.root}")


def pytest_unconfigure(config: pytest.Config) -> None:
    _Session.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


# ---------------------------------------------------------------- fixtures


def _required(var: str, what: str) -> str:
    value = os.environ.get(var)
    if not value:
        why = f"{var} is not set"
        if _Session.start_error:
            why += f" (the harness failed to start: {_Session.start_error})"
        pytest.fail(f"{what} not reachable: {why}", pytrace=False)
    return value


def reachable_url(var: str, what: str) -> str:
    """The URL in `var`, after checking that its server accepts a TCP connection."""
    url = _required(var, what)
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=5):
            pass
    except (OSError, ValueError, TypeError) as exc:
        pytest.fail(f"{what} not reachable: TCP connect to {parts.netloc.rsplit('@')[-1]}: {exc}")
    return url


def _url_fixture(name: str, var: str, what: str):
    def fixture() -> str:
        return reachable_url(var, what)

    fixture.__name__ = name
    fixture.__doc__ = f"{what}: the URL in ${var}, checked to accept connections."
    return pytest.fixture(scope="session", name=name)(fixture)


for _name, (_var, _what) in URL_FIXTURES.items():
    globals()[_name] = _url_fixture(_name, _var, _what)


@pytest.fixture(scope="session")
def test_ca_file() -> str:
    """The PEM file of the test CA that signed every server's certificate."""
    path = _required("NUBLOX_TEST_CA_FILE", "test CA file")
    if not os.path.isfile(path):
        pytest.fail(f"test CA file not reachable: {path} does not exist")
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, for Playwright's executable_path (no browser downloads here)."""
    path = os.environ.get("NUBLOX_TEST_CHROMIUM") or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("Chromium not reachable: NUBLOX_TEST_CHROMIUM unset and no `chromium`")
    return path


def _unique_name() -> str:
    return f"nublox_t_{uuid.uuid4().hex[:12]}"


def _with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


@pytest.fixture
def fresh_pg_database(pg_url: str):
    """A new empty PostgreSQL database (admin credentials); yields its URL, drops it after."""
    import psycopg
    from psycopg import sql

    name = _unique_name()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(pg_url, name)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
            conn.execute(sql.SQL(drop).format(sql.Identifier(name)))


def mariadb_connect(url: str, **kwargs):
    """A PyMySQL connection from a mysql:// URL (tests only; the engine has its own driver)."""
    import pymysql

    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=parts.path.lstrip("/") or None,
        autocommit=True,
        **kwargs,
    )


@pytest.fixture
def fresh_mariadb_database(mariadb_url: str):
    """A new empty MariaDB database (admin credentials); yields its URL, drops it after."""
    name = _unique_name()
    with mariadb_connect(mariadb_url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    try:
        yield _with_database(mariadb_url, name)
    finally:
        with mariadb_connect(mariadb_url) as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")

"""The harness itself: CLI start/stop leave nothing behind, the watchdog, fixtures fail loudly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests import _services
from tests._services import SCRIPT, load_harness, mariadb_connect

harness = load_harness()


def _session_members(session_ids: set[int]) -> list[str]:
    """Live (non-zombie) processes in any of these sessions: servers and their children."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] not in ("Z", "X") and int(fields[3]) in session_ids:
            found.append(stat.parent.name)
    return found


def _refuses(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def _start_cli() -> tuple[Path, dict[str, str], set[int]]:
    """`start` without --dir (pytest's tmp_path is private to root, a fresh /tmp dir is not)."""
    started = _cli("start")
    assert started.returncode == 0, started.stderr
    printed = dict(
        line.removeprefix("export ").split("=", 1)
        for line in started.stdout.splitlines()
        if line.startswith("export ")
    )
    run_dir = Path(printed["NUBLOX_TEST_SERVICES_DIR"])
    env = harness.read_env_file(run_dir / "env")
    assert env == {k: v.strip("'") for k, v in printed.items()}
    services = json.loads((run_dir / "state.json").read_text())["services"]
    assert [s["name"] for s in services] == ["PostgreSQL", "MariaDB", "Redis"]
    return run_dir, env, {s["pid"] for s in services}


def test_cli_start_then_stop_leaves_no_process_and_no_directory():
    run_dir, env, pids = _start_cli()
    try:
        assert len(_session_members(pids)) >= 3
        with psycopg.connect(env["NUBLOX_TEST_PG_URL"]) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with mariadb_connect(env["NUBLOX_TEST_MARIADB_URL"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)

        stopped = _cli("stop", "--dir", str(run_dir))
    finally:
        harness.stop(run_dir)  # no-op when the CLI did its job; cleans up when it did not

    assert stopped.returncode == 0, stopped.stderr
    assert _session_members(pids) == []
    assert not run_dir.exists()
    for var in ("NUBLOX_TEST_PG_URL", "NUBLOX_TEST_MARIADB_URL", "NUBLOX_TEST_REDIS_URL"):
        assert _refuses(env[var]), f"{var} still accepts connections after stop"


def test_watchdog_stops_servers_when_its_parent_dies():
    run_dir, _env, pids = _start_cli()
    parent = subprocess.Popen(["sleep", "300"])
    reaper = subprocess.Popen(
        [sys.executable, str(SCRIPT), "reap", "--dir", str(run_dir), "--pid", str(parent.pid)]
    )
    try:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        reaper.wait(timeout=120)  # bounded: a hung watchdog fails here instead of hanging
    finally:
        if reaper.poll() is None:
            reaper.kill()
            harness.stop(run_dir)
    assert reaper.returncode == 0
    assert _session_members(pids) == []
    assert not run_dir.exists()


def test_a_port_taken_before_the_server_binds_it_is_replaced(monkeypatch):
    """Simulates another run grabbing the free port we picked, for the first server."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        picked: list[int] = []
        real_free_ports = harness._free_ports

        def first_one_taken(count: int) -> list[int]:
            ports = [taken] if not picked else real_free_ports(count)
            picked.extend(ports)
            return ports

        monkeypatch.setattr(harness, "_free_ports", first_one_taken)
        env = harness.start()
        try:
            pg_port = urlsplit(env["NUBLOX_TEST_PG_URL"]).port
            assert picked[0] == taken and pg_port == picked[1] != taken
            with psycopg.connect(env["NUBLOX_TEST_PG_URL"]) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        finally:
            harness.stop(Path(env["NUBLOX_TEST_SERVICES_DIR"]))


def test_start_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(harness.ServiceError, match="not empty"):
        harness.start(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_stop_leaves_a_directory_it_did_not_create(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    harness.stop(tmp_path)
    assert (tmp_path / "precious.txt").exists()


def test_url_fixture_fails_when_its_variable_is_missing(monkeypatch):
    monkeypatch.delenv("NUBLOX_TEST_NOWHERE_URL", raising=False)
    with pytest.raises(pytest.fail.Exception, match=r"Nowhere not reachable: .* is not set"):
        _services.reachable_url("NUBLOX_TEST_NOWHERE_URL", "Nowhere")


def test_url_fixture_fails_when_nothing_listens(monkeypatch):
    (port,) = harness._free_ports(1)
    monkeypatch.setenv("NUBLOX_TEST_NOWHERE_URL", f"postgresql://u:secret-pw@127.0.0.1:{port}/x")
    with pytest.raises(pytest.fail.Exception, match="Nowhere not reachable") as failed:
        _services.reachable_url("NUBLOX_TEST_NOWHERE_URL", "Nowhere")
    assert "secret-pw" not in str(failed.value)


def test_tests_using_service_fixtures_get_the_services_marker(request, redis_url):
    assert request.node.get_closest_marker("services") is not None


def test_fresh_pg_database_is_new_empty_and_writable(fresh_pg_database, pg_url):
    name = urlsplit(fresh_pg_database).path.lstrip("/")
    assert name.startswith("nublox_t_") and name != urlsplit(pg_url).path.lstrip("/")
    with psycopg.connect(fresh_pg_database, autocommit=True) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (name,)
        tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        assert conn.execute(tables).fetchone() == (0,)
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        assert conn.execute(tables).fetchone() == (1,)


def test_fresh_mariadb_database_is_new_empty_and_writable(fresh_mariadb_database):
    name = urlsplit(fresh_mariadb_database).path.lstrip("/")
    assert name.startswith("nublox_t_")
    with mariadb_connect(fresh_mariadb_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT DATABASE()")
        assert cur.fetchone() == (name,)
        cur.execute("SHOW TABLES")
        assert cur.fetchall() == ()
        cur.execute("CREATE TABLE t (id int PRIMARY KEY)")
        cur.execute("SHOW TABLES")
        assert cur.fetchall() == (("t",),)


def test_session_env_file_matches_the_environment():
    env = harness.read_env_file(Path(os.environ["NUBLOX_TEST_SERVICES_DIR"]) / "env")
    assert "NUBLOX_TEST_PG_URL" in env and "NUBLOX_TEST_REDIS_URL" in env
    assert {k: os.environ.get(k) for k in env} == env

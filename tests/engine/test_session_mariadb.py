"""The Session API against the live MariaDB 10.11 (tests/_services.py): auth plugins, TLS,
large values, cancel through KILL QUERY, use(), streaming in constant memory."""

from __future__ import annotations

import os

import pytest

from engine import connect, errors
from tests.engine.sessionchecks import (
    assert_no_password,
    cancel_soon,
    password_of,
    stream_peak_bytes,
    stream_rss_growth,
    with_password,
    with_query,
)

MIB = 1024 * 1024


def test_native_user(mariadb_native_url):
    with connect(mariadb_native_url, sslmode="disable") as s:
        assert s.server["auth_plugin"] == "mysql_native_password"
        assert s.query("SELECT CURRENT_USER()").scalar().startswith("native_user@")


def test_ed25519_user(mariadb_ed25519_url):
    with connect(mariadb_ed25519_url) as s:
        assert s.server["auth_plugin"] == "client_ed25519"
        assert s.query("SELECT CURRENT_USER()").scalar().startswith("ed25519_user@")


def test_server_facts_and_query_shapes(mariadb_url):
    with connect(mariadb_url) as s:
        info = s.server
        assert "MariaDB" in info["version"] and not info["version"].startswith("5.5.5-")
        assert info["thread_id"] == s.query("SELECT CONNECTION_ID()").scalar()
        s.ping()
        res = s.query("SELECT 1 AS a, 'x' AS b, NULL AS c; SELECT 2 AS d")
        assert res.rows == [(2,)]
        assert res.results[0].rows == [(1, "x", None)]
        assert res.results[0].column_names == ["a", "b", "c"]


def test_server_error_keeps_session_usable(mariadb_url):
    with connect(mariadb_url) as s:
        with pytest.raises(errors.ServerError) as info:
            s.query("SELEC 1")
        assert info.value.code == 1064 and info.value.sqlstate == "42000"
        assert s.query("SELECT 5").scalar() == 5


def test_tls_user_with_verified_tls(mariadb_tls_url, test_ca_file):
    url = with_query(mariadb_tls_url, f"sslmode=verify-full&ssl-ca={test_ca_file}")
    with connect(url) as s:
        assert s.server["tls"]["verified"] is True
        cipher = s.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").rows[0][1]
        assert cipher == s.server["tls"]["cipher"]


def test_tls_user_refused_without_tls(mariadb_tls_url):
    with pytest.raises(errors.AuthError):
        connect(mariadb_tls_url, sslmode="disable")


def test_wrong_password(mariadb_native_url):
    wrong = "definitely-wrong-password-42"
    with pytest.raises(errors.AuthError) as info:
        connect(with_password(mariadb_native_url, wrong))
    assert "Access denied" in str(info.value)
    assert info.value.code == 1045
    assert_no_password(info.value, wrong)
    assert_no_password(info.value, password_of(mariadb_native_url))


def test_twenty_mib_values_both_ways(fresh_mariadb_database):
    with connect(fresh_mariadb_database) as s:
        got = s.query("SELECT REPEAT('x', 20*1024*1024) AS big").scalar()
        assert len(got) == 20 * MIB and set(got) == {"x"}
        s.execute("CREATE TABLE blobs (id INT PRIMARY KEY, v LONGTEXT)")
        value = "ab" * (10 * MIB)
        assert s.execute(f"INSERT INTO blobs VALUES (1, '{value}')") == 1
        row = s.query("SELECT LENGTH(v), MD5(v) = MD5(REPEAT('ab', 10*1024*1024)) FROM blobs")
        assert row.rows == [(20 * MIB, 1)]
        assert s.query("SELECT v FROM blobs").scalar() == value


def test_cancel_via_kill_query(mariadb_url):
    with connect(mariadb_url) as s, connect(mariadb_url) as watcher:
        tid = s.server["thread_id"]

        def running() -> bool:
            sql = (
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                f"WHERE ID = {tid} AND INFO LIKE 'SELECT SLEEP%'"
            )
            return watcher.query(sql).scalar() == 1

        thread = cancel_soon(s, running)
        with pytest.raises(errors.QueryCanceled) as info:
            s.query("SELECT SLEEP(30)")
        thread.join(10)
        assert info.value.code == 1317
        assert s.query("SELECT 'still here'").scalar() == "still here"
        assert s.server["thread_id"] == tid


def test_use(mariadb_url, fresh_mariadb_database):
    name = fresh_mariadb_database.rsplit("/", 1)[1].split("?")[0]
    with connect(mariadb_url) as s:
        s.use(name)
        assert s.query("SELECT DATABASE()").scalar() == name
        with pytest.raises(errors.ServerError) as info:
            s.use("no_such_database_here")
        assert info.value.code == 1049
        assert s.query("SELECT DATABASE()").scalar() == name


def test_unix_socket(mariadb_url):
    path = os.environ["NUBLOX_TEST_MARIADB_SOCKET"]
    url = with_query(mariadb_url, f"unix_socket={path}")
    with connect(url) as s:
        assert s.server["tls"] is None
        assert s.query("SELECT 1").scalar() == 1


def test_stream_two_million_rows_in_constant_memory(fresh_mariadb_database):
    with connect(fresh_mariadb_database) as s:
        rows = s.stream("SELECT seq, CONCAT('row ', seq) FROM seq_1_to_2000000")
        growth = stream_rss_growth(rows, 2_000_000)
        assert growth < 64 * MIB, growth
        assert [c.name for c in rows.columns] == ["seq", "CONCAT('row ', seq)"]
        assert s.query("SELECT 1").scalar() == 1


def test_stream_peak_memory_traced_and_abandon(fresh_mariadb_database):
    with connect(fresh_mariadb_database) as s:
        rows = s.stream("SELECT seq, CONCAT('row number ', seq) FROM seq_1_to_200000")
        peak = stream_peak_bytes(rows, 200_000)
        assert peak < 6 * MIB, peak
        stream = s.stream("SELECT seq FROM seq_1_to_300000")
        assert next(stream) == (1,)
        stream.close()
        assert s.query("SELECT 41 + 1").scalar() == 42


def test_packet_over_server_limit_surfaces_the_server_reason(mariadb_url):
    # max_allowed_packet is 64 MiB on the test server: it answers ERR 1153 and hangs up
    # while we are still sending; the driver reads that answer instead of a bare EPIPE.
    with connect(mariadb_url) as s:
        with pytest.raises(errors.ConnectionLost) as info:
            s.query("SELECT '" + "x" * (70 * MIB) + "'")
        assert "max_allowed_packet" in str(info.value)
        assert info.value.details["server_error"].code == 1153
        assert s.closed

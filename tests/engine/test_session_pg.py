"""The Session API against the live PostgreSQL 15 (tests/_services.py): auth methods, TLS
verification, errors, cancel, use(), streaming in constant memory."""

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


def test_md5_user(pg_md5_url):
    with connect(pg_md5_url, sslmode="disable") as s:
        assert s.server["auth_plugin"] == "md5"
        assert s.query("SELECT current_user").rows == [("md5_user",)]


def test_scram_user_and_server_facts(pg_scram_url):
    with connect(pg_scram_url) as s:
        info = s.server
        assert info["auth_plugin"].startswith("SCRAM-SHA-256")
        assert info["version"].startswith("15.")
        assert isinstance(info["thread_id"], int) and info["thread_id"] > 0
        assert info["parameters"]["server_encoding"] == "UTF8"
        pid = s.query("SELECT pg_backend_pid()").scalar()
        assert pid == info["thread_id"]


def test_query_shapes(pg_url):
    with connect(pg_url) as s:
        s.ping()
        res = s.query("SELECT 1 AS a, 'x'::text AS b, NULL::int AS c")
        assert res.columns == [("a", "int4"), ("b", "text"), ("c", "int4")]
        assert res.rows == [(1, "x", None)]
        assert res.rowcount == 1
        multi = s.query(
            "CREATE TEMP TABLE t (v int); INSERT INTO t VALUES (1), (2), (3); SELECT sum(v) FROM t"
        )
        assert multi.rows == [(6,)]
        assert [r.rowcount for r in multi.results][1] == 3
        assert s.execute("UPDATE t SET v = v + 1") == 3


def test_server_error_keeps_session_usable(pg_url):
    with connect(pg_url) as s:
        with pytest.raises(errors.ServerError) as info:
            s.query("SELECT 1/0")
        assert info.value.sqlstate == "22012"
        assert "division by zero" in str(info.value)
        assert s.query("SELECT 2").scalar() == 2


def test_tls_verify_full_with_test_ca(pg_scram_url, test_ca_file):
    url = with_query(pg_scram_url, f"sslmode=verify-full&sslrootcert={test_ca_file}")
    with connect(url) as s:
        tls = s.server["tls"]
        assert tls["verified"] is True
        assert tls["version"].startswith("TLS")
        assert len(tls["cert_sha256"]) == 64
        assert s.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar()


def test_tls_verify_full_wrong_hostname(pg_scram_url, test_ca_file):
    # "127.1" reaches 127.0.0.1 but is not a name the certificate carries.
    url = with_query(pg_scram_url, f"sslmode=verify-full&sslrootcert={test_ca_file}")
    with pytest.raises(errors.TLSError) as info:
        connect(url.replace("@127.0.0.1:", "@127.1:"))
    assert "127.1" in str(info.value)


def test_tls_only_user_refused_without_tls(pg_tls_only_url, test_ca_file):
    with pytest.raises((errors.AuthError, errors.ServerError, errors.ConnectError)):
        connect(pg_tls_only_url, sslmode="disable")
    with connect(pg_tls_only_url, sslmode="verify-full", sslrootcert=test_ca_file) as s:
        assert s.query("SELECT current_user").scalar() == "tls_only"


def test_wrong_password(pg_scram_url):
    wrong = "definitely-wrong-password-42"
    with pytest.raises(errors.AuthError) as info:
        connect(with_password(pg_scram_url, wrong))
    assert "password authentication failed" in str(info.value)
    assert_no_password(info.value, wrong)
    assert_no_password(info.value, password_of(pg_scram_url))


def test_cancel_from_another_thread(pg_url):
    with connect(pg_url) as s, connect(pg_url) as watcher:
        pid = s.server["thread_id"]

        def running() -> bool:
            sql = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid} AND state = 'active'"
            return watcher.query(sql).scalar() == 1

        thread = cancel_soon(s, running)
        with pytest.raises(errors.QueryCanceled) as info:
            s.query("SELECT pg_sleep(30)")
        thread.join(10)
        assert info.value.sqlstate == "57014"
        assert s.query("SELECT 'still here'").scalar() == "still here"


def test_use_reconnects_to_other_database(pg_url):
    with connect(pg_url) as s:
        before = s.server["thread_id"]
        s.use("template1")
        assert s.query("SELECT current_database()").scalar() == "template1"
        assert s.server["thread_id"] != before
        with pytest.raises(errors.OperationalError):
            s.use("no_such_database_here")


def test_unix_socket(pg_url):
    socket_dir = os.environ["NUBLOX_TEST_PG_SOCKET_DIR"]
    port = pg_url.rsplit(":", 1)[1].split("/")[0]
    url = f"postgresql://nublox_admin@/postgres?unix_socket={socket_dir}/.s.PGSQL.{port}"
    with connect(url) as s:
        assert s.query("SELECT inet_client_addr() IS NULL").scalar() is True
        assert s.server["tls"] is None


def test_unix_socket_directory_as_libpq_spells_it(pg_url):
    socket_dir = os.environ["NUBLOX_TEST_PG_SOCKET_DIR"]
    port = pg_url.rsplit(":", 1)[1].split("/")[0]
    with connect(f"postgresql://nublox_admin@localhost:{port}/postgres?host={socket_dir}") as s:
        assert s.query("SELECT inet_client_addr() IS NULL").scalar() is True


def test_stream_two_million_rows_in_constant_memory(pg_url):
    with connect(pg_url) as s:
        rows = s.stream("SELECT i, 'row ' || i FROM generate_series(1, 2000000) AS i")
        growth = stream_rss_growth(rows, 2_000_000)
        # Materialised, 2M (int, str) rows take > 250 MB; a stream holds a batch at a time.
        assert growth < 64 * 1024 * 1024, growth
        assert rows.columns == [("i", "int4"), ("?column?", "text")]
        assert s.query("SELECT 1").scalar() == 1


def test_stream_peak_memory_traced(pg_url):
    with connect(pg_url) as s:
        rows = s.stream("SELECT i, 'row number ' || i FROM generate_series(1, 200000) AS i")
        peak = stream_peak_bytes(rows, 200_000)
        # The same rows in a list would take ~30 MB (tuple + int + str each).
        assert peak < 6 * 1024 * 1024, peak


def test_abandoned_stream_leaves_session_usable(pg_url):
    with connect(pg_url) as s:
        stream = s.stream("SELECT i FROM generate_series(1, 300000) AS i")
        assert next(stream) == (1,)
        stream.close()
        assert s.query("SELECT 41 + 1").scalar() == 42

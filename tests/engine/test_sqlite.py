"""The Session API over SQLite (in-process), against a temp file: the same calls as the wire
sessions, the same Result shapes, the same typed errors."""

from __future__ import annotations

import sqlite3
import threading
import tracemalloc

import pytest

from engine import connect, errors
from engine.sqlite_backend import SQLiteSession, split_statements


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path}/test.db"


def test_connect_goes_in_process_and_queries(db_url):
    with connect(db_url) as s:
        assert isinstance(s, SQLiteSession)
        s.ping()
        assert s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)") == 0
        assert s.execute("INSERT INTO t (name, score) VALUES ('a', 1.5), ('b', NULL)") == 2
        res = s.query("SELECT id, name, score FROM t ORDER BY id")
        assert res.columns == [("id", "INTEGER"), ("name", "TEXT"), ("score", "REAL")]
        assert res.column_names == ["id", "name", "score"]
        assert res.rows == [(1, "a", 1.5), (2, "b", None)]
        assert res.rowcount == 2
        assert s.execute("UPDATE t SET score = 0") == 2


def test_file_persists_between_sessions(db_url, tmp_path):
    with connect(db_url) as s:
        s.execute("CREATE TABLE kept (x INTEGER); INSERT INTO kept VALUES (42)")
    assert (tmp_path / "test.db").exists()
    with connect(db_url) as s:
        assert s.query("SELECT x FROM kept").scalar() == 42


def test_memory_url():
    with connect("sqlite:///:memory:") as s:
        assert s.query("SELECT 1 + 1").scalar() == 2


def test_multi_statement_gives_last_and_all(db_url):
    with connect(db_url) as s:
        res = s.query(
            "CREATE TABLE m (v TEXT); INSERT INTO m VALUES ('x;y'), ('z');"
            " SELECT v FROM m ORDER BY v; SELECT count(*) AS n FROM m"
        )
        assert res.rows == [(2,)]
        assert len(res.results) == 4
        assert res.results[1].rowcount == 2
        assert res.results[2].rows == [("x;y",), ("z",)]


def test_split_statements_respects_strings_comments_and_triggers():
    sql = (
        "CREATE TABLE a (x TEXT);\n"
        "-- a comment; with a semicolon\n"
        "INSERT INTO a VALUES ('1;2');\n"
        "CREATE TRIGGER tr AFTER INSERT ON a BEGIN UPDATE a SET x = x; END;\n"
        "SELECT 1"
    )
    parts = split_statements(sql)
    assert len(parts) == 4
    assert "'1;2'" in parts[1]
    assert parts[2].strip().startswith("CREATE TRIGGER") and parts[2].rstrip().endswith("END;")
    assert parts[3].strip().rstrip(";") == "SELECT 1"
    assert split_statements("  ;; ") == []


def test_errors_are_typed_and_session_stays_usable(db_url):
    with connect(db_url) as s:
        with pytest.raises(errors.ServerError) as info:
            s.query("SELEC nonsense")
        assert "syntax error" in str(info.value)
        assert info.value.code == 1  # SQLITE_ERROR
        with pytest.raises(errors.ServerError) as info:
            s.query("SELECT * FROM no_such_table")
        assert "no such table" in str(info.value)
        s.execute("CREATE TABLE u (x INTEGER UNIQUE); INSERT INTO u VALUES (1)")
        with pytest.raises(errors.ServerError) as info:
            s.execute("INSERT INTO u VALUES (1)")
        assert "SQLITE_CONSTRAINT" in str(info.value)
        assert s.query("SELECT 7").scalar() == 7


def test_stream_is_incremental_and_abandon_is_clean(db_url):
    with connect(db_url) as s:
        s.execute(
            "CREATE TABLE big AS WITH RECURSIVE c(i) AS "
            "(SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300000) SELECT i FROM c"
        )
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            total = 0
            peak = 0
            for i, (value, _pad) in enumerate(s.stream("SELECT i, 'padding-padding' FROM big")):
                total += value
                if i % 50000 == 0:
                    peak = max(peak, tracemalloc.get_traced_memory()[0] - base)
            full_peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        assert total == 300000 * 300001 // 2
        # 300k rows fully materialised would take well over 20 MB; streaming stays small.
        assert full_peak < 5 * 1024 * 1024, full_peak
        stream = s.stream("SELECT i FROM big ORDER BY i")
        assert next(stream) == (1,)
        assert stream.columns == [("i", "INTEGER")]
        stream.close()
        assert s.query("SELECT count(*) FROM big").scalar() == 300000


def test_use_is_refused_clearly(db_url):
    with connect(db_url) as s, pytest.raises(errors.InterfaceError) as info:
        s.use("other")
    assert "other" in str(info.value) and "sqlite:///" in str(info.value)


def test_server_facts(db_url):
    with connect(db_url) as s:
        info = s.server
        assert info["version"] == sqlite3.sqlite_version
        assert isinstance(info["compile_options"], list) and info["compile_options"]
        assert info["tls"] is None


def test_cancel_from_another_thread(db_url):
    with connect(db_url) as s:
        assert s.cancel() is False
        slow = (
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000000000)"
            " SELECT count(*) FROM c"
        )
        started = threading.Event()

        def canceller():
            started.wait(5)
            while not s.cancel():
                pass

        thread = threading.Thread(target=canceller)
        thread.start()
        started.set()
        with pytest.raises(errors.QueryCanceled) as info:
            s.query(slow)
        thread.join()
        assert "interrupt" in str(info.value).lower()
        assert s.query("SELECT 3").scalar() == 3


def test_closed_session_refuses(db_url):
    s = connect(db_url)
    s.close()
    s.close()
    with pytest.raises(errors.InterfaceError):
        s.query("SELECT 1")


def test_unopenable_file_is_connect_error(tmp_path):
    with pytest.raises(errors.ConnectError):
        connect(f"sqlite:///{tmp_path}/no/such/dir/x.db")

"""The blocking driver and Session over a real local socket, with a scripted fake core.

These pin the driver's own duties (deadlines, socket failures, TLS wrapping, streaming
without buffering, cancel on a new connection, bounded close) independently of the real
protocol core, which has its own tests.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from engine import errors
from engine.config import ConnectConfig
from engine.secret import Secret
from engine.session import Session
from engine.wirevm.events import Rows
from tests.engine.fakewire import FakeCore, FakePack, FakeServer


@pytest.fixture
def server():
    srv = FakeServer()
    yield srv
    srv.close()


def cfg_for(port: int, **kw) -> ConnectConfig:
    values = dict(
        scheme="fake",
        host="127.0.0.1",
        port=port,
        user="u",
        password=Secret("secret-pw"),
        sslmode="disable",
        connect_timeout=5.0,
    )
    values.update(kw)
    return ConnectConfig(**values)


def open_session(port: int, **kw) -> Session:
    return Session.open(cfg_for(port, **kw), FakePack(), FakeCore)


def test_query_ping_execute_and_server(server):
    with open_session(server.port) as s:
        s.ping()
        res = s.query("ROWS 3")
        assert res.columns == [("id", "int"), ("label", "text")]
        assert res.columns[1].name == "label"
        assert res.rows == [("0", "row-0"), ("1", "row-1"), ("2", "row-2")]
        assert res.rowcount == 3
        assert s.execute("ROWS 5") == 5
        assert s.server["version"] == "1.0-fake"
        assert s.server["tls"] is None


def test_multi_statement_returns_last_and_all(server):
    with open_session(server.port) as s:
        res = s.query("MULTI")
        assert res.rows == [("1",), ("2",)]
        assert [r.rowcount for r in res.results] == [3, 2]
        assert res.results[-1] is res


def test_server_error_keeps_session_usable(server):
    with open_session(server.port) as s:
        with pytest.raises(errors.ServerError) as info:
            s.query("ERR")
        assert info.value.code == 1064 and info.value.sqlstate == "42601"
        assert s.query("ROWS 1").rows == [("0", "row-0")]


def test_use_sends_command_and_reports_errors(server):
    with open_session(server.port) as s:
        s.use("other")
        assert server.databases == ["other"]
        assert s.cfg.database == "other"
        with pytest.raises(errors.ServerError):
            s.use("missing")
        s.ping()


def test_stream_reads_only_as_consumed(server):
    with open_session(server.port) as s:
        channel = s._channel
        reads = []
        real_recv = channel._recv

        def counting_recv():
            data = real_recv()
            reads.append(len(data))
            return data

        channel._recv = counting_recv
        rows = s.stream("ROWS 200000")
        assert next(rows) == ("0", "row-0")
        assert rows.columns == [("id", "int"), ("label", "text")]
        reads_for_first_row = len(reads)
        rest = sum(1 for _ in rows)
        assert rest == 199999
        # ~3.4 MB of result: the first row needed a few reads, the rest needed many more.
        assert reads_for_first_row <= 3
        assert len(reads) > reads_for_first_row + 10
        assert s.query("ROWS 1").rowcount == 1


def test_stream_batches_are_bounded(server):
    with open_session(server.port) as s:
        channel = s._begin()
        from engine.wirevm import ops

        sizes = [
            len(ev.rows)
            for ev in channel.iterate(ops.query_gen(s._conn, "ROWS 100000"))
            if type(ev) is Rows
        ]
        s._busy = False
        assert sum(sizes) == 100000
        assert len(sizes) > 3
        assert max(sizes) * 13 <= 256 * 1024 + 64  # rows here are >= 13 bytes each


def test_abandoned_stream_drains_and_session_stays_usable(server):
    with open_session(server.port) as s:
        stream = s.stream("ROWS 50000")
        assert next(stream) == ("0", "row-0")
        stream.close()
        assert s.query("ROWS 2").rowcount == 2
        # A never-started stream is drained by the next command.
        s.stream("ROWS 1000")
        assert s.query("ROWS 1").rows == [("0", "row-0")]


def test_connection_refused_is_connect_error():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(errors.ConnectError) as info:
        open_session(port)
    assert "127.0.0.1" in str(info.value)


def test_dns_failure_is_connect_error():
    with pytest.raises(errors.ConnectError):
        open_session(5432, host="no-such-host.invalid")


def test_connect_timeout_when_server_never_answers():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts at TCP level, never speaks
    try:
        with pytest.raises(errors.TimeoutError) as info:
            open_session(listener.getsockname()[1], connect_timeout=0.3)
        assert "timeout" in str(info.value)
    finally:
        listener.close()


def test_read_timeout_closes_session(server):
    s = open_session(server.port, read_timeout=0.3)
    with pytest.raises(errors.TimeoutError):
        s.query("HANG")
    assert s.closed
    with pytest.raises(errors.InterfaceError):
        s.ping()


def test_eof_mid_result_is_connection_lost(server):
    s = open_session(server.port)
    with pytest.raises(errors.ConnectionLost):
        s.query("DIE")
    assert s.closed


def test_cancel_from_another_thread(server):
    with open_session(server.port) as s:
        tid = s.server["thread_id"]
        timer = threading.Timer(0.3, s.cancel)
        timer.start()
        with pytest.raises(errors.QueryCanceled):
            s.query("SLEEP")
        timer.join()
        assert server.cancels == [tid]
        assert s.query("ROWS 1").rowcount == 1
        assert s.cancel() is False  # nothing running


def test_close_is_bounded_and_sends_goodbye(server):
    s = open_session(server.port)
    s.close()
    s.close()  # idempotent
    deadline = time.monotonic() + 5
    while server.terminated == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.terminated == 1
    with pytest.raises(errors.InterfaceError):
        s.query("ROWS 1")


def test_garbage_tls_is_tls_error():
    srv = FakeServer(garbage_tls=True)
    try:
        with pytest.raises(errors.TLSError):
            open_session(srv.port, sslmode="require")
    finally:
        srv.close()

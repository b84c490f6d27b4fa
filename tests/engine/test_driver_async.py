"""The asyncio driver and AsyncSession over a real local socket, with the scripted fake
core (tests/engine/fakewire.py): the same duties as the blocking driver."""

from __future__ import annotations

import asyncio
import socket

import pytest

from engine import errors
from engine.session_async import AsyncSession
from tests.engine.fakewire import FakeCore, FakePack, FakeServer
from tests.engine.test_driver_sync import cfg_for


@pytest.fixture
def server():
    srv = FakeServer()
    yield srv
    srv.close()


def run(coro):
    return asyncio.run(coro)


async def open_session(port: int, **kw) -> AsyncSession:
    return await AsyncSession.open(cfg_for(port, **kw), FakePack(), FakeCore)


def test_query_ping_execute_use(server):
    async def main():
        async with await open_session(server.port) as s:
            await s.ping()
            res = await s.query("ROWS 3")
            assert res.columns == [("id", "int"), ("label", "text")]
            assert res.rows[-1] == ("2", "row-2")
            assert await s.execute("ROWS 4") == 4
            multi = await s.query("MULTI")
            assert [r.rowcount for r in multi.results] == [3, 2]
            with pytest.raises(errors.ServerError):
                await s.query("ERR")
            await s.use("elsewhere")
            assert server.databases == ["elsewhere"]
            assert s.server["thread_id"] > 0

    run(main())


def test_stream_incremental_and_abandon(server):
    async def main():
        s = await open_session(server.port)
        link = s._channel.link
        reads = []
        real_read = link.read

        async def counting_read():
            data = await real_read()
            reads.append(len(data))
            return data

        link.read = counting_read
        stream = s.stream("ROWS 200000")
        first = await stream.__anext__()
        assert first == ("0", "row-0")
        assert stream.columns[0].name == "id"
        reads_for_first = len(reads)
        # Reading stops while the consumer does not ask: the buffer stays bounded.
        await asyncio.sleep(0.2)
        assert len(link.buffer) <= 2 * (1 << 20)
        count = 1
        async for _row in stream:
            count += 1
        assert count == 200000
        assert len(reads) > reads_for_first + 5
        stream = s.stream("ROWS 50000")
        await stream.__anext__()
        await stream.aclose()
        assert (await s.query("ROWS 1")).rowcount == 1
        await s.close()

    run(main())


def test_refused_timeout_and_eof():
    async def main():
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        with pytest.raises(errors.ConnectError):
            await open_session(port)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        try:
            with pytest.raises(errors.TimeoutError):
                await open_session(listener.getsockname()[1], connect_timeout=0.3)
        finally:
            listener.close()

    run(main())


def test_read_timeout_and_eof_mid_result(server):
    async def main():
        s = await open_session(server.port, read_timeout=0.3)
        with pytest.raises(errors.TimeoutError):
            await s.query("HANG")
        assert s.closed
        s = await open_session(server.port)
        with pytest.raises(errors.ConnectionLost):
            await s.query("DIE")
        assert s.closed

    run(main())


def test_cancel_from_another_task(server):
    async def main():
        async with await open_session(server.port) as s:

            async def later():
                await asyncio.sleep(0.3)
                return await s.cancel()

            task = asyncio.create_task(later())
            with pytest.raises(errors.QueryCanceled):
                await s.query("SLEEP")
            assert await task is True
            assert server.cancels == [s.server["thread_id"]]
            assert (await s.query("ROWS 1")).rowcount == 1

    run(main())


def test_garbage_tls_is_tls_error():
    srv = FakeServer(garbage_tls=True)

    async def main():
        with pytest.raises(errors.TLSError):
            await open_session(srv.port, sslmode="require")

    try:
        run(main())
    finally:
        srv.close()

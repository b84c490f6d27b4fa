"""AsyncSession: the Session API as coroutines (`async with connect_async(url) as s`).

Wire sessions run the very same `ops` generators as the blocking Session, through the
asyncio driver. In-process backends (SQLite) are blocking libraries: they are wrapped and
run in a worker thread, so the event loop never stalls on them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from engine import errors
from engine.config import ConnectConfig
from engine.results import Collector, ColumnInfo, Result, column_infos
from engine.url import parse_url, socket_path
from engine.wirevm import ops
from engine.wirevm.driver_async import AsyncChannel
from engine.wirevm.events import Columns, ResultDone, Rows

STREAM_BATCH = 1000


async def _open(url: str | ConnectConfig, **options: Any) -> Any:
    from engine.session import inprocess_backend, wire_target

    cfg = url if isinstance(url, ConnectConfig) else parse_url(url, **options)
    backend = inprocess_backend(cfg.scheme)
    if backend is not None:
        return AsyncInProcess(await asyncio.to_thread(backend.open, cfg))
    pack, core = wire_target(cfg.scheme)
    return await AsyncSession.open(cfg, pack, core)


class _Opener:
    """`await connect_async(url)` or `async with connect_async(url) as s`."""

    def __init__(self, url: str | ConnectConfig, options: dict[str, Any]) -> None:
        self._url, self._options = url, options
        self._session: Any = None

    def __await__(self):
        return _open(self._url, **self._options).__await__()

    async def __aenter__(self) -> Any:
        self._session = await _open(self._url, **self._options)
        return self._session

    async def __aexit__(self, *exc: object) -> None:
        await self._session.close()


def open_async(url: str | ConnectConfig, **options: Any) -> _Opener:
    return _Opener(url, options)


class AsyncSession:
    def __init__(self, cfg: ConnectConfig, pack: Any, make_core: Any) -> None:
        from engine.session import errors_map_of

        self.cfg = cfg
        self.pack = pack
        self._make_core = make_core
        self._behaviour: dict[str, Any] = dict(getattr(pack, "session", None) or {})
        self._errors = errors_map_of(pack)
        self._channel: AsyncChannel | None = None
        self._conn: Any = None
        self._busy = False
        self._stream: AsyncRowStream | None = None

    @classmethod
    async def open(cls, cfg: ConnectConfig, pack: Any, make_core: Any) -> AsyncSession:
        from engine.session import core_config

        session = cls(cfg, pack, make_core)
        unix = socket_path(cfg, session._behaviour)
        channel = await AsyncChannel.open(cfg, unix)
        conn = make_core(pack, core_config(cfg, unix))
        try:
            await channel.run(ops.connect_gen(conn, session._errors))
        except BaseException:
            channel.close()
            raise
        channel.handshake_done()
        session._channel, session._conn = channel, conn
        return session

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._channel is None or self._channel.closed

    async def _begin(self) -> AsyncChannel:
        if self._stream is not None:
            await self._stream.aclose()
        channel = self._channel
        if channel is None or channel.closed:
            raise errors.InterfaceError("the session is closed")
        if self._busy:
            raise errors.InterfaceError("another command is still running on this session")
        self._busy = True
        return channel

    async def _run(self, op: Any) -> Any:
        channel = await self._begin()
        try:
            return await channel.run(op)
        finally:
            self._busy = False

    async def ping(self) -> None:
        await self._run(ops.ping_gen(self._conn, self._errors))

    async def query(self, sql: str) -> Result:
        channel = await self._begin()
        collector = Collector()
        try:
            async for event in channel.iterate(ops.query_gen(self._conn, sql, self._errors)):
                collector.feed(event)
        finally:
            self._busy = False
        return collector.result()

    async def execute(self, sql: str) -> int:
        return (await self.query(sql)).rowcount

    def stream(self, sql: str) -> AsyncRowStream:
        """`async for row in s.stream(sql)`; rows are read as they are consumed."""
        return AsyncRowStream(self, sql)

    async def use(self, database: str) -> None:
        mode = (self._behaviour.get("use") or {}).get("mode", "command")
        if mode == "command":
            await self._run(ops.init_db_gen(self._conn, database, self._errors))
            self.cfg = dataclasses.replace(self.cfg, database=database)
        elif mode == "reconnect":
            new_cfg = dataclasses.replace(self.cfg, database=database)
            fresh = await AsyncSession.open(new_cfg, self.pack, self._make_core)
            await self.close()
            self.cfg, self._channel, self._conn = new_cfg, fresh._channel, fresh._conn
            self._busy, self._stream = False, None
        else:
            raise errors.InterfaceError(f"this database cannot change database (use: {mode})")

    @property
    def server(self) -> dict[str, Any]:
        from engine.session import server_info

        if self._conn is None:
            return {}
        return server_info(self._conn, self._channel.tls if self._channel else None)

    async def cancel(self) -> bool:
        if not self._busy or self._conn is None:
            return False
        rule = self._behaviour.get("cancel") or {}
        mode = rule.get("mode")
        if mode == "message_on_new_connection":
            payload = self._conn.cancel_request()
            if not payload:
                return False
            side = await AsyncChannel.open(self.cfg, socket_path(self.cfg, self._behaviour))
            try:
                await side.run(ops.cancel_bytes_gen(payload))
            except errors.OperationalError:
                pass
            finally:
                side.close()
            return True
        if mode == "side_query":
            sql = rule["sql"].format(**self.server)
            side_session = await AsyncSession.open(self.cfg, self.pack, self._make_core)
            try:
                await side_session.execute(sql)
            finally:
                await side_session.close()
            return True
        raise errors.InterfaceError(f"this database does not support cancel (mode {mode!r})")

    async def close(self) -> None:
        channel, self._channel = self._channel, None
        self._stream = None
        if channel is None or channel.closed:
            return
        try:
            for request in ops.terminate_gen(self._conn):
                await channel.send_bounded(request[1])
        except errors.EngineError:
            pass
        finally:
            channel.close()


class AsyncRowStream:
    """Async iterator of row tuples; `aclose()` (or leaving `async with`) drains the rest."""

    def __init__(self, session: AsyncSession, sql: str) -> None:
        self.columns: list[ColumnInfo] = []
        self.rowcount = -1
        self._session = session
        self._sql = sql
        self._events: Any = None
        self._batch: list[tuple] = []
        self._index = 0
        self._done = False

    def __aiter__(self) -> AsyncRowStream:
        return self

    async def __anext__(self) -> tuple:
        if self._index < len(self._batch):
            row = self._batch[self._index]
            self._index += 1
            return row
        if self._done:
            raise StopAsyncIteration
        if self._events is None:
            channel = await self._session._begin()
            self._session._stream = self
            self._events = channel.iterate(
                ops.query_gen(self._session._conn, self._sql, self._session._errors)
            )
        try:
            async for event in self._events:
                kind = type(event)
                if kind is Rows and event.rows:
                    self._batch, self._index = event.rows, 1
                    return event.rows[0]
                if kind is Columns:
                    self.columns = column_infos(event.columns)
                elif kind is ResultDone:
                    self.rowcount = event.rowcount
        except BaseException:
            self._finish()
            raise
        self._finish()
        raise StopAsyncIteration

    def _finish(self) -> None:
        self._done = True
        self._batch = []
        if self._session._stream is self:
            self._session._stream = None
        self._session._busy = False

    async def aclose(self) -> None:
        if self._done:
            return
        if self._events is not None:
            try:
                async for _ in self._events:
                    pass
            except errors.ServerError:
                pass
        self._finish()

    async def __aenter__(self) -> AsyncRowStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class AsyncInProcess:
    """Async face of a blocking in-process session: each call runs in a worker thread."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.cfg = inner.cfg

    async def __aenter__(self) -> AsyncInProcess:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._inner.closed

    @property
    def server(self) -> dict[str, Any]:
        return self._inner.server

    async def ping(self) -> None:
        await asyncio.to_thread(self._inner.ping)

    async def query(self, sql: str) -> Result:
        return await asyncio.to_thread(self._inner.query, sql)

    async def execute(self, sql: str) -> int:
        return await asyncio.to_thread(self._inner.execute, sql)

    async def use(self, database: str) -> None:
        await asyncio.to_thread(self._inner.use, database)

    async def cancel(self) -> bool:
        return self._inner.cancel()  # thread-safe and non-blocking by contract

    async def close(self) -> None:
        await asyncio.to_thread(self._inner.close)

    async def stream(self, sql: str) -> AsyncIterator[tuple]:
        rows = await asyncio.to_thread(self._inner.stream, sql)
        try:
            while True:
                batch = await asyncio.to_thread(_take, rows, STREAM_BATCH)
                if not batch:
                    return
                for row in batch:
                    yield row
        finally:
            await asyncio.to_thread(rows.close)


def _take(rows: Any, n: int) -> list[tuple]:
    out = []
    for row in rows:
        out.append(row)
        if len(out) >= n:
            break
    return out

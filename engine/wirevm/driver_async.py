"""The asyncio driver: runs the same `ops` generators as `driver_sync`, on an event loop.

A small Protocol collects bytes; reads hand everything buffered to the core at once, and
reading pauses when a consumer falls behind (so a stream stays in constant memory). TLS is
started with `loop.start_tls` on the same transport, after checking that no plaintext byte
is waiting in our buffer (such a byte would have been injected before the TLS switch).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Generator
from typing import Any

from engine import errors
from engine.config import ConnectConfig
from engine.wirevm import tlsconf
from engine.wirevm.driver_sync import CLOSE_GRACE
from engine.wirevm.ops import RECV, SEND, STARTTLS

HIGH_WATER = 1 << 20  # pause reading when this much is buffered and not yet consumed


class _Link(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: Any = None
        self.buffer = bytearray()
        self.eof = False
        self.lost: BaseException | None = None
        self._waiter: asyncio.Future | None = None
        self._drained: asyncio.Future | None = None
        self._paused_reading = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > HIGH_WATER and not self._paused_reading:
            self._paused_reading = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: BaseException | None) -> None:
        self.eof = True
        self.lost = exc
        self._wake()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def read(self) -> bytes:
        while not self.buffer and not self.eof:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if not self.buffer and self.lost is not None:
            raise errors.ConnectionLost(f"connection lost: {self.lost}")
        data = bytes(self.buffer)
        self.buffer.clear()
        if self._paused_reading:
            self._paused_reading = False
            self.transport.resume_reading()
        return data

    async def write(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise errors.ConnectionLost("connection lost while sending")
        self.transport.write(data)
        if self._drained is not None:
            await self._drained


async def open_link(cfg: ConnectConfig, unix_path: str | None) -> _Link:
    loop = asyncio.get_running_loop()
    where = unix_path or f"{cfg.host}:{cfg.port}"
    try:
        if unix_path:
            coro = loop.create_unix_connection(_Link, unix_path)
        else:
            coro = loop.create_connection(_Link, cfg.host, cfg.port)
        _transport, link = await asyncio.wait_for(coro, cfg.connect_timeout)
    except TimeoutError:
        raise errors.TimeoutError(
            f"connect to {where} timed out after {cfg.connect_timeout:g}s"
        ) from None
    except OSError as exc:
        raise errors.ConnectError(f"cannot connect to {where}: {exc.strerror or exc}") from None
    return link


class AsyncChannel:
    def __init__(self, link: _Link, cfg: ConnectConfig, *, unix: bool = False) -> None:
        self.link = link
        self.cfg = cfg
        self.where = cfg.path if unix else f"{cfg.host}:{cfg.port}"
        self.tls: dict[str, Any] | None = None
        self.closed = False
        self._timeout: float | None = cfg.connect_timeout
        self._deadline_label = "connect"
        self._last_value: Any = None

    @classmethod
    async def open(cls, cfg: ConnectConfig, unix_path: str | None = None) -> AsyncChannel:
        return cls(await open_link(cfg, unix_path), cfg, unix=bool(unix_path))

    def handshake_done(self) -> None:
        self._deadline_label = "read"
        self._timeout = self.cfg.read_timeout

    async def run(self, op: Generator[Any, Any, Any]) -> Any:
        async for _ in self.iterate(op):
            pass
        return self._last_value

    async def iterate(self, op: Generator[Any, Any, Any]) -> AsyncIterator[Any]:
        value: Any = None
        self._last_value = None
        try:
            while True:
                try:
                    item = op.send(value)
                except StopIteration as stop:
                    self._last_value = stop.value
                    return
                if type(item) is tuple:
                    value = await self._wait(item)
                else:
                    value = None
                    yield item
        except (errors.OperationalError, errors.InterfaceError, errors.DataError) as exc:
            if not exc.details.get("after_ready"):
                self.close()
            raise
        finally:
            op.close()

    async def _wait(self, request: tuple) -> Any:
        if self.closed:
            raise errors.InterfaceError("the session is closed")
        kind = request[0]
        if kind == RECV:
            try:
                return await asyncio.wait_for(self.link.read(), self._timeout)
            except TimeoutError:
                raise errors.TimeoutError(
                    f"{self._deadline_label} timeout: {self.where} sent nothing for "
                    f"{self._timeout:g}s (session closed)"
                ) from None
        if kind == SEND:
            try:
                await asyncio.wait_for(self.link.write(request[1]), self._timeout)
            except TimeoutError:
                raise errors.TimeoutError(
                    f"{self._deadline_label} timeout while sending to {self.where}"
                ) from None
            return None
        if kind == STARTTLS:
            return await self._start_tls(request[1])
        raise errors.InterfaceError(f"unknown wait request {kind!r}")

    async def _start_tls(self, hostname: str | None) -> dict[str, Any]:
        link = self.link
        if link.buffer:
            raise errors.SecurityPolicyError(
                f"{self.where} sent bytes before the TLS handshake; refusing to continue"
            )
        ctx, verified = tlsconf.build_context(self.cfg)
        loop = asyncio.get_running_loop()
        try:
            transport = await asyncio.wait_for(
                loop.start_tls(
                    link.transport, link, ctx, server_hostname=hostname or self.cfg.host
                ),
                self.cfg.connect_timeout,
            )
        except OSError as exc:
            raise tlsconf.handshake_error(exc, self.where) from None
        if transport is None:
            raise errors.ConnectionLost(f"{self.where} closed during the TLS handshake")
        link.transport = transport
        sslobj = transport.get_extra_info("ssl_object")
        self.tls = tlsconf.check_pin(self.cfg, tlsconf.describe(sslobj, verified), self.where)
        return tlsconf.facts_for_core(self.tls)

    async def send_bounded(self, data: bytes) -> None:
        if self.closed or not data:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.link.write(data), CLOSE_GRACE)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        transport = self.link.transport
        if transport is not None:
            transport.close()

"""Serve a blocking iterator under ASGI without reading it all first.

Django consumes a synchronous iterator into a list before an ASGI response starts (with a
warning): an export of many rows would sit in memory. Each step runs in the request's own
thread instead (thread_sensitive), the same one that opened the engine session and the
platform database connection that frees its lease.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async

_END = object()


async def for_asgi(lines: Iterator[str]) -> AsyncIterator[str]:
    step = sync_to_async(lambda: next(lines, _END), thread_sensitive=True)
    try:
        while (chunk := await step()) is not _END:
            yield chunk
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            await sync_to_async(close, thread_sensitive=True)()

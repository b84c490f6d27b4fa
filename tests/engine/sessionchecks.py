"""Helpers shared by the live Session tests (PostgreSQL and MariaDB files)."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import psutil

from engine import errors


def with_query(url: str, query: str) -> str:
    parts = urlsplit(url)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined))


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def password_of(url: str) -> str:
    return urlsplit(url).password or ""


def stream_peak_bytes(stream_rows, expected: int) -> int:
    """Consume a row stream under tracemalloc; return the peak traced bytes above the start.
    (tracemalloc slows allocation ~15x: keep these streams to a few hundred thousand rows.)"""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        count = sum(1 for _row in stream_rows)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert count == expected
    return peak


def stream_rss_growth(stream_rows, expected: int, every: int = 50_000) -> int:
    """Consume a row stream sampling the process RSS; return the largest growth seen."""
    process = psutil.Process()
    start = process.memory_info().rss
    growth = 0
    count = 0
    for _row in stream_rows:
        count += 1
        if count % every == 0:
            growth = max(growth, process.memory_info().rss - start)
    assert count == expected
    return growth


def cancel_soon(session, is_running: Callable[[], bool]) -> threading.Thread:
    """Cancel `session`'s running command from another thread once `is_running()` says the
    server is executing it (so the cancel cannot arrive before the query)."""

    def worker() -> None:
        for _ in range(500):
            if is_running():
                break
            time.sleep(0.02)
        session.cancel()

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    return thread


def assert_no_password(exc: errors.EngineError, password: str) -> None:
    assert password and password not in str(exc)
    assert password not in repr(exc)
    assert all(password not in str(v) for v in exc.details.values())

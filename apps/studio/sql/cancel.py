"""Stop a running editor statement: on its timeout, or when its author asks.

A `Watch` is a small thread beside the request that runs the statement. It calls the
engine session's `cancel()` (thread-safe) when the timeout passes or a cancel request
arrives. A cancel request reaches it two ways: directly, through this process's registry
of running statements (immediate), and through a flag in Django's cache, which the watch
polls, for a request that landed on another web process (needs a cache shared by the
processes, e.g. Redis, in production).

Only the person who started a statement can stop it: the registry entry and the cache key
both carry the workspace and the user, and the query id is 128 random bits.
"""

from __future__ import annotations

import contextlib
import threading
import time

from django.core.cache import cache

from engine import errors

#: Seconds between looks at the cache for a cancel request from another process.
POLL_SECONDS = 0.25
FLAG_SECONDS = 600

_running: dict[str, Watch] = {}
_running_lock = threading.Lock()


def _flag_key(workspace_id: int, user_id: int, query_id: str) -> str:
    return f"nublox:sql:cancel:{workspace_id}:{user_id}:{query_id}"


def request_cancel(query_id: str, user, workspace) -> bool:
    """Ask for `query_id` to stop. True if it was running in this process (it is being
    stopped now); False means the request waits for another process's watch, if any."""
    if not query_id:
        return False
    cache.set(_flag_key(workspace.pk, user.pk, query_id), True, FLAG_SECONDS)
    with _running_lock:
        watch = _running.get(query_id)
    if watch is None or (watch.workspace_id, watch.user_id) != (workspace.pk, user.pk):
        return False
    watch.stop("cancelled")
    return True


def is_running(query_id: str) -> bool:
    with _running_lock:
        return query_id in _running


class Watch:
    """`with Watch(session, query_id, user, workspace, timeout_s):` around a statement."""

    def __init__(self, session, query_id: str, user, workspace, timeout_s: float) -> None:
        self.session = session
        self.query_id = query_id
        self.user_id = user.pk if user is not None else None
        self.workspace_id = workspace.pk
        self.timeout_s = timeout_s
        self.reason = ""  # "timeout" or "cancelled" once the watch stopped the statement
        self._done = threading.Event()
        self._stop_lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="sql-watch", daemon=True)

    def __enter__(self) -> Watch:
        if self.query_id:
            with _running_lock:
                _running[self.query_id] = self
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        if self.query_id:
            with _running_lock:
                if _running.get(self.query_id) is self:
                    del _running[self.query_id]
            cache.delete(self._key())

    def _key(self) -> str:
        return _flag_key(self.workspace_id, self.user_id, self.query_id)

    def _watch(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        while not self._done.wait(min(POLL_SECONDS, max(deadline - time.monotonic(), 0))):
            if time.monotonic() >= deadline:
                self.stop("timeout")
                return
            if self.query_id and cache.get(self._key()):
                self.stop("cancelled")
                return

    def stop(self, reason: str) -> None:
        """Cancel the statement once, unless it has already finished."""
        with self._stop_lock:
            if self.reason or self._done.is_set():
                return
            self.reason = reason
            # the statement may have ended meanwhile, or the server hung up: nothing to stop
            with contextlib.suppress(errors.EngineError):
                self.session.cancel()

    def explain(self, error: str) -> str:
        """The sentence shown when the watch stopped the statement."""
        if self.reason == "timeout":
            return (
                f"Stopped after {self.timeout_s:g} s (the statement timeout). Raise the "
                "timeout, up to the connection policy's limit, or narrow the query."
            )
        return "Cancelled at your request."

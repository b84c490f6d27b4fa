"""Run one call in a forked child process and take its result back (pickled over a pipe).

Why: learning a database is mostly CPython building objects, which holds the GIL, so two
learns on two threads take turns instead of running at the same time. `sqlx plan:diff`
with two live sides learns one in a child process while the parent learns the other; on
a machine with two cores that halves the wall clock of the learning phase.

Only where fork is safe: a POSIX system and a caller with no other thread running (a
forked child gets a copy of every lock, including those other threads held). Elsewhere,
and when `SQLX_NO_FORK` is set, the call runs on a thread instead: same result, slower.
Nothing is shared between the two sides: the child opens its own connections. Its
exception comes back as itself when it pickles (every engine error does), else as an
EngineError with the same message and exit code.
"""

from __future__ import annotations

import contextlib
import copyreg
import io
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from engine import errors
from engine.gcpause import paused


def std_streams() -> tuple:
    """The streams to flush before a fork (a child must not write the parent's buffer)."""
    return (sys.stdout, sys.stderr)


def can_fork() -> bool:
    return (
        hasattr(os, "fork") and not os.environ.get("SQLX_NO_FORK") and threading.active_count() == 1
    )


class Pending:
    """A call started elsewhere; `result()` waits for it, returns its value or raises."""

    def result(self) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def cancel(self) -> None:
        """Stop waiting for it (the caller failed): end the child, if any."""


class _Threaded(Pending):
    def __init__(self, fn: Callable[..., Any], args: tuple) -> None:
        self._out: list = []
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple) -> None:
        try:
            self._out.append((True, fn(*args)))
        except BaseException as exc:  # handed to the caller
            self._out.append((False, exc))

    def result(self) -> Any:
        self._thread.join()
        ok, value = self._out[0]
        if not ok:
            raise value
        return value


class _Forked(Pending):
    def __init__(self, pid: int, fd: int) -> None:
        self._pid = pid
        self._fd = fd
        self._done = False

    def result(self) -> Any:
        chunks = []
        try:
            while True:
                chunk = os.read(self._fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(self._fd)
            _, status = os.waitpid(self._pid, 0)
            self._done = True
        data = b"".join(chunks)
        if not data:
            code = os.waitstatus_to_exitcode(status)
            raise errors.EngineError(f"the worker process ended without an answer ({code})")
        with paused():  # a snapshot is 100,000 new acyclic objects: nothing to collect
            ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        if self._done:
            return
        self._done = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGTERM)
        os.close(self._fd)
        os.waitpid(self._pid, 0)


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else an EngineError saying the same
    with the same exit code (the CLI's contract)."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        out = errors.EngineError(f"{type(exc).__name__}: {exc}")
        out.exit_code = getattr(exc, "exit_code", 4)
        return out


def _dumps(payload: Any, reducers: dict | None) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    if reducers:
        pickler.dispatch_table = {**copyreg.dispatch_table, **reducers}
    pickler.dump(payload)
    return buffer.getvalue()


def start(fn: Callable[..., Any], *args: Any, reducers: dict | None = None) -> Pending:
    """Start `fn(*args)` in a child process (a thread where forking is not safe).

    `reducers` (class -> reduce function, as in `copyreg`) pickle the answer faster than
    the default: `engine.ir.model.PICKLE_REDUCERS` halves the cost of a large snapshot."""
    if not can_fork():
        return _Threaded(fn, args)
    for stream in std_streams():
        stream.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer, then leave without running the parent's cleanup
        status = 0
        try:
            os.close(read_fd)
            try:
                payload = (True, fn(*args))
            except BaseException as exc:
                payload = (False, _portable(exc))
            try:
                with paused():
                    data = _dumps(payload, reducers)
            except Exception as exc:
                data = pickle.dumps((False, _portable(exc)))
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view) :]
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    return _Forked(pid, read_fd)

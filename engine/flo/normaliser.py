"""SQL fragments normalised in a helper process while the catalog is still being read.

Why: the fragments that must be parsed (view definitions, defaults, CHECK and index
expressions) need sqlglot, whose import plus the parsing is about a third of a one-shot
`sqlx snapshot:pull`, and all of it holds the GIL. A forked helper imports sqlglot and
normalises each fragment as soon as the reader meets it, on the other core; the reader
puts a `Deferred` placeholder in the record and swaps the answers in once every query has
been mapped (`resolve`), before any rule or IR class sees a record. The answers are the
same functions' answers (`engine.flo.catalog._normalizer`): only where they are computed
changes. Key fields are never deferred (records are grouped by them).

Opt-in (`sqlx snapshot:pull` starts one), POSIX only, and only while the process has no
other thread (`engine.forked.can_fork`); otherwise `start()` gives None and fragments are
normalised in place, as before. If the helper dies, the parent normalises what it had
asked for itself: slower, same result.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
from collections.abc import Callable
from typing import Any

from engine import forked

_LEN = struct.Struct("!Q")


class Deferred:
    """A fragment being normalised by the helper: the position of its answer."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"Deferred({self.index})"


def _write(fd: int, payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LEN.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the normaliser process closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read(fd: int) -> Any:
    (size,) = _LEN.unpack(_read_exact(fd, _LEN.size))
    return pickle.loads(_read_exact(fd, size))


def _serve_many(channels: list[tuple[int, int]]) -> None:
    """A shared helper's loop: (requests, answers) per client, each served as `_serve`
    serves one; a fragment two clients ask for is parsed once (the functions cache)."""
    import gc
    import select

    from engine.flo.catalog import _normalizer
    from engine.ir import normalize  # noqa: F401  (sqlglot, before the first request)

    gc.freeze()
    gc.enable()
    waiting = {requests: (answers, []) for requests, answers in channels}
    while waiting:
        ready, _, _ = select.select(list(waiting), [], [])
        for requests in ready:
            answers, out = waiting[requests]
            try:
                batch = _read(requests)
            except (EOFError, OSError):  # that client is gone: it normalises for itself
                batch = _GONE
            if batch is None:
                with contextlib.suppress(OSError):
                    _write(answers, out)
            elif batch is not _GONE:
                out.extend(_normalizer(kind)(dialect, text) for kind, dialect, text in batch)
                continue
            del waiting[requests]
            for fd in (requests, answers):
                os.close(fd)


_GONE = object()


def _serve(requests: int, answers: int) -> None:
    """The helper's loop: normalise each batch as it comes, answer all at the end (None).
    Parse trees are cyclic garbage, so the collector runs here even when the process that
    forked this one had paused it, but only over what this process makes: what it
    inherited is frozen (walking it again and again cost as much as the parsing)."""
    import gc

    from engine.flo.catalog import _normalizer
    from engine.ir import normalize  # noqa: F401  (sqlglot, before the first request)

    gc.freeze()
    gc.enable()

    out: list[Any] = []
    while True:
        batch = _read(requests)
        if batch is None:
            break
        out.extend(_normalizer(kind)(dialect, text) for kind, dialect, text in batch)
    _write(answers, out)


class Normaliser:
    """The parent's side: `function(kind)` gives a drop-in normaliser returning
    `Deferred`s, `push()` sends what was asked so far, `resolve(records)` puts the
    answers in place. One use: `resolve` (or `close`) ends the helper."""

    def __init__(self, pid: int | None, requests: int, answers: int) -> None:
        self._pid = pid  # None: a shared helper's client (`Shared`), not this one's to end
        self._requests = requests
        self._answers = answers
        self._asked: list[tuple[str, str, str]] = []
        self._unsent: list[tuple[str, str, str]] = []
        self._known: dict[tuple[str, str, str], Deferred] = {}
        self._functions: dict[str, Callable[[str, str], Any]] = {}
        #: where placeholders were put: (record kinds, fields, (collect, item fields))
        self._notes: list[tuple[list[str], tuple[str, ...], tuple]] = []
        self._open = True

    def note(self, kinds: list[str], fields: tuple[str, ...], items: tuple) -> None:
        """Record that records of `kinds` may hold placeholders in `fields`, and items
        of their collected lists (`items`: (collect name, item fields)) too."""
        self._notes.append((kinds, fields, items))

    def defers(self, kind: str) -> bool:
        from engine.flo.catalog import TEXT_ONLY

        return self._open and kind not in TEXT_ONLY

    def function(self, kind: str) -> Callable[[str, str], Any]:
        """f(dialect, text) -> Deferred, one placeholder per distinct fragment."""
        fn = self._functions.get(kind)
        if fn is None:
            known, asked, unsent = self._known, self._asked, self._unsent

            def fn(dialect: str, text: str) -> Any:
                request = (kind, dialect, text)
                deferred = known.get(request)
                if deferred is None:
                    deferred = known[request] = Deferred(len(asked))
                    asked.append(request)
                    unsent.append(request)
                return deferred

            self._functions[kind] = fn
        return fn

    def push(self) -> None:
        """Send the fragments asked for since the last push (the helper starts on them)."""
        if not self._unsent or not self._open:
            return
        batch, self._unsent[:] = list(self._unsent), []
        with contextlib.suppress(OSError):  # the helper is gone: `answers` makes them here
            _write(self._requests, batch)

    def answers(self) -> list[Any]:
        """Every answer, in request order; the helper is finished afterwards."""
        if not self._open:
            raise RuntimeError("the normaliser was closed")
        self.push()
        got: list[Any] | None = None
        try:
            _write(self._requests, None)
            got = _read(self._answers)
        except (OSError, EOFError, pickle.UnpicklingError):
            got = None
        finally:
            self.close(kill=False)
        if got is None or len(got) != len(self._asked):
            from engine.flo.catalog import _normalizer

            got = [_normalizer(kind)(dialect, text) for kind, dialect, text in self._asked]
        return got

    def resolve(self, records: dict) -> dict:
        """Replace every Deferred in `records` (fields, and fields of collected items)."""
        if not self._asked:
            self.close()
            return records
        answers = self.answers()
        for kinds, fields, items in self._notes:
            for kind in kinds:
                for values in records.get(kind, {}).values():
                    for name in fields:
                        value = values.get(name)
                        if value.__class__ is Deferred:
                            values[name] = answers[value.index]
                    for name, item_fields in items:
                        for item in values.get(name) or ():
                            if item.__class__ is dict:
                                _resolve_item(item, item_fields, answers)
        return records

    def close(self, kill: bool = True) -> None:
        """End the helper: after its answers it is leaving anyway (wait for it); on a
        failure of the parent's it is stopped (`kill`)."""
        if not self._open:
            return
        self._open = False
        for fd in (self._requests, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._pid is None:
            return
        try:
            if kill:
                os.kill(self._pid, signal.SIGTERM)
            os.waitpid(self._pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass


def _resolve_item(item: dict, fields: tuple[str, ...], answers: list[Any]) -> None:
    for name in fields:
        value = item.get(name)
        if value.__class__ is Deferred:
            item[name] = answers[value.index]


class Shared:
    """One helper for several processes (`sqlx plan:diff`: the two sides' learning
    processes), whose pipes exist before it does: a client process can be forked first
    (before sqlglot is imported: the clients never parse), and the helper started later
    from a process that has imported it. Each process keeps only its own ends
    (`client(i)`); the one that started the helper waits for it (`wait`)."""

    def __init__(self, clients: int) -> None:
        #: per client: (requests read end, requests write end, answers read, answers write)
        self._fds = [(*os.pipe(), *os.pipe()) for _ in range(clients)]
        self._open = {fd for fds in self._fds for fd in fds}  # in this process
        self._pid: int | None = None

    def _close(self, *fds: int) -> None:
        for fd in fds:
            if fd in self._open:
                self._open.discard(fd)
                with contextlib.suppress(OSError):
                    os.close(fd)

    def client(self, i: int) -> Normaliser:
        """Client `i`'s side, in the process that uses it: every other end is closed here
        (a helper must see its clients leave, and a client its helper)."""
        for j, (req_r, req_w, ans_r, ans_w) in enumerate(self._fds):
            self._close(req_r, ans_w)
            if j != i:
                self._close(req_w, ans_r)
        _, req_w, ans_r, _ = self._fds[i]
        self._open.clear()  # the Normaliser owns these two now
        return Normaliser(None, req_w, ans_r)

    def forget(self, i: int) -> None:
        """Close client `i`'s ends here (they were handed to another process)."""
        _, req_w, ans_r, _ = self._fds[i]
        self._close(req_w, ans_r)

    def start(self) -> None:
        """Fork the helper (no other thread may run: `engine.forked.can_fork`)."""
        for stream in forked.std_streams():
            stream.flush()
        pid = os.fork()
        if pid == 0:
            status = 0
            try:
                for _, req_w, ans_r, _ in self._fds:
                    self._close(req_w, ans_r)
                _serve_many([(req_r, ans_w) for req_r, _, _, ans_w in self._fds])
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        self._pid = pid
        for req_r, _, _, ans_w in self._fds:
            self._close(req_r, ans_w)

    def wait(self, kill: bool = False) -> None:
        """Wait for the helper (it leaves once every client has had its answers or gone);
        `kill`: stop it first (the command failed). Ends still open here are closed."""
        self._close(*list(self._open))
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        with contextlib.suppress(ChildProcessError, ProcessLookupError):
            if kill:
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


def shared(clients: int) -> Shared | None:
    """Pipes for a helper shared by `clients` processes, or None where forking is not safe."""
    return Shared(clients) if forked.can_fork() else None


def start() -> Normaliser | None:
    """A helper process ready for fragments, or None where forking is not safe."""
    if not forked.can_fork():
        return None
    requests_r, requests_w = os.pipe()
    answers_r, answers_w = os.pipe()
    for stream in forked.std_streams():
        stream.flush()
    pid = os.fork()
    if pid == 0:  # the helper: serve, then leave without the parent's cleanup
        status = 0
        try:
            os.close(requests_w)
            os.close(answers_r)
            _serve(requests_r, answers_w)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(requests_r)
    os.close(answers_w)
    return Normaliser(pid, requests_w, answers_r)

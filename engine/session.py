"""The Session API: `connect(url)` -> a Session that runs SQL and reports what it found.

    with connect("postgresql://app:pw@db/app?sslmode=verify-full") as s:
        s.ping(); s.query("SELECT 1").rows; s.execute("UPDATE ..."); s.server["version"]
        for row in s.stream("SELECT * FROM big"): ...

`connect` looks the URL's scheme up in the registry. An entry with an `inprocess` key is run
by the backend its pack names (SQLite through stdlib sqlite3); any other entry gets a wire
session: a sans-IO core interpreting the pack, driven by the blocking driver. The session
asks the pack how to change database and how to cancel -- it never asks which family it is.
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from engine import errors
from engine.config import ConnectConfig
from engine.results import Collector, ColumnInfo, Result, column_infos
from engine.url import pack_document, parse_url, registry_entry, socket_path
from engine.wirevm import ops, tlsconf
from engine.wirevm.driver_sync import SyncChannel
from engine.wirevm.events import Columns, ResultDone, Rows

CoreFactory = Callable[[Any, ConnectConfig], Any]

__all__ = ["Result", "RowStream", "Session", "connect", "connect_async"]


def wire_target(scheme: str) -> tuple[Any, CoreFactory]:
    """The compiled pack for a scheme and the sans-IO core class that interprets it."""
    from engine.wirevm.core import WireConnection
    from engine.wirevm.packs import pack_for_scheme

    return pack_for_scheme(scheme), WireConnection


def inprocess_backend(scheme: str) -> Any | None:
    """The backend class an in-process registry entry's pack names ("module:Class")."""
    entry = registry_entry(scheme)
    if not entry.get("inprocess"):
        return None
    spec = pack_document(scheme).get("backend") or entry.get("backend")
    if not spec or ":" not in spec:
        raise errors.ConfigError(f"registry entry {scheme!r} is in-process but names no backend")
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def connect(url: str | ConnectConfig, **options: Any) -> Any:
    """Open a Session (context manager). Options are ConnectConfig fields."""
    cfg = url if isinstance(url, ConnectConfig) else parse_url(url, **options)
    backend = inprocess_backend(cfg.scheme)
    if backend is not None:
        return backend.open(cfg)
    pack, core = wire_target(cfg.scheme)
    return Session.open(cfg, pack, core)


def connect_async(url: str | ConnectConfig, **options: Any) -> Any:
    """An awaitable that opens an AsyncSession; also usable as `async with connect_async(url)`."""
    from engine.session_async import open_async

    return open_async(url, **options)


def errors_map_of(pack: Any) -> dict[str, Any] | None:
    mapping = getattr(pack, "errors", None)
    if mapping is None and isinstance(pack, dict):
        mapping = pack.get("errors")
    return mapping


def core_config(cfg: ConnectConfig, unix_path: str | None) -> ConnectConfig:
    """The config the core sees. A unix socket is already a secure channel: `allow` and
    `prefer` do not encrypt it (libpq's rule); `require` and stronger still ask for TLS."""
    if unix_path and cfg.sslmode in ("allow", "prefer"):
        return dataclasses.replace(cfg, sslmode="disable")
    return cfg


def server_info(conn: Any, tls: dict[str, Any] | None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "version": None,
        "thread_id": None,
        "caps": None,
        "auth_plugin": None,
        "parameters": {},
    }
    info.update(conn.server or {})
    info["tls"] = tlsconf.public_view(tls)
    return info


class Session:
    """A wire session over the blocking driver. One command at a time; `cancel()` may be
    called from any other thread."""

    def __init__(self, cfg: ConnectConfig, pack: Any, make_core: CoreFactory) -> None:
        self.cfg = cfg
        self.pack = pack
        self._make_core = make_core
        self._behaviour: dict[str, Any] = dict(getattr(pack, "session", None) or {})
        self._errors = errors_map_of(pack)
        self._channel: SyncChannel | None = None
        self._conn: Any = None
        self._busy = False
        self._stream: RowStream | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, cfg: ConnectConfig, pack: Any, make_core: CoreFactory) -> Session:
        session = cls(cfg, pack, make_core)
        session._connect()
        return session

    def _connect(self) -> None:
        unix = socket_path(self.cfg, self._behaviour)
        channel = SyncChannel.open(self.cfg, unix)
        conn = self._make_core(self.pack, core_config(self.cfg, unix))
        try:
            channel.run(ops.connect_gen(conn, self._errors))
        except BaseException:
            channel.close()
            raise
        channel.handshake_done()
        self._channel, self._conn = channel, conn

    # -- context manager -----------------------------------------------------------------

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Session {self.cfg.scheme}://{self.cfg.host or self.cfg.path} {state}>"

    # -- commands ------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._channel is None or self._channel.closed

    def _begin(self) -> SyncChannel:
        if self._stream is not None:
            self._stream.close()  # a new command finishes (drains) an abandoned stream
        channel = self._channel
        if channel is None or channel.closed:
            raise errors.InterfaceError("the session is closed")
        if self._busy:
            raise errors.InterfaceError("another command is still running on this session")
        self._busy = True
        return channel

    def _run(self, op: Any) -> Any:
        channel = self._begin()
        try:
            return channel.run(op)
        finally:
            self._busy = False

    def ping(self) -> None:
        self._run(ops.ping_gen(self._conn, self._errors))

    def query(self, sql: str) -> Result:
        channel = self._begin()
        collector = Collector()
        feed = collector.feed
        try:
            for event in channel.iterate(ops.query_gen(self._conn, sql, self._errors)):
                feed(event)
        finally:
            self._busy = False
        return collector.result()

    def execute(self, sql: str) -> int:
        return self.query(sql).rowcount

    def stream(self, sql: str) -> RowStream:
        """Rows as the consumer iterates, in constant memory. Closing or abandoning the
        stream early reads and discards the rest, so the session stays usable."""
        channel = self._begin()
        events = channel.iterate(ops.query_gen(self._conn, sql, self._errors))
        stream = RowStream(self, events)
        self._stream = stream
        return stream

    def _stream_done(self, stream: RowStream) -> None:
        if self._stream is stream:
            self._stream = None
        self._busy = False

    def use(self, database: str) -> None:
        mode = (self._behaviour.get("use") or {}).get("mode", "command")
        if mode == "command":
            self._run(ops.init_db_gen(self._conn, database, self._errors))
            self.cfg = dataclasses.replace(self.cfg, database=database)
        elif mode == "reconnect":
            new_cfg = dataclasses.replace(self.cfg, database=database)
            fresh = Session.open(new_cfg, self.pack, self._make_core)
            self.close()
            self.cfg, self._channel, self._conn = new_cfg, fresh._channel, fresh._conn
            self._busy, self._stream = False, None
        else:
            raise errors.InterfaceError(f"this database cannot change database (use: {mode})")

    @property
    def server(self) -> dict[str, Any]:
        if self._conn is None:
            return {}
        return server_info(self._conn, self._channel.tls if self._channel else None)

    # -- cancel and close ----------------------------------------------------------------

    def cancel(self) -> bool:
        """Ask the server to stop the running command (thread-safe). The command then
        raises QueryCanceled. Returns False when nothing was running."""
        if not self._busy or self._conn is None:
            return False
        rule = self._behaviour.get("cancel") or {}
        mode = rule.get("mode")
        with self._lock:
            if mode == "message_on_new_connection":
                payload = self._conn.cancel_request()
                if not payload:
                    return False
                unix = socket_path(self.cfg, self._behaviour)
                side = SyncChannel.open(self.cfg, unix)
                try:
                    side.run(ops.cancel_bytes_gen(payload))
                except errors.OperationalError:
                    pass  # the server hangs up after a cancel request; that is the answer
                finally:
                    side.close()
                return True
            if mode == "side_query":
                sql = rule["sql"].format(**self.server)
                with Session.open(self.cfg, self.pack, self._make_core) as side_session:
                    side_session.execute(sql)
                return True
        raise errors.InterfaceError(f"this database does not support cancel (mode {mode!r})")

    def close(self) -> None:
        """Say goodbye and drop the socket; bounded, never waits for the server."""
        channel, self._channel = self._channel, None
        self._stream = None
        if channel is None or channel.closed:
            return
        try:
            for request in ops.terminate_gen(self._conn):
                channel.send_bounded(request[1])
        except errors.EngineError:
            pass
        finally:
            channel.close()


class RowStream:
    """Iterator of row tuples from `Session.stream()`. `columns` is set once the first
    result's description arrived; `close()` (or leaving a `with` block) drains the rest."""

    def __init__(
        self, session: Any, events: Iterator[Any], abort: Callable[[], None] | None = None
    ) -> None:
        self.columns: list[ColumnInfo] = []
        self.rowcount = -1
        self._session = session
        self._events = events
        self._abort = abort  # stops the producer outright where that is cheap and safe
        self._finished = False
        self._rows = self._generate()

    def _generate(self) -> Iterator[tuple]:
        completed = False
        try:
            for event in self._events:
                kind = type(event)
                if kind is Rows:
                    yield from event.rows
                elif kind is Columns:
                    self.columns = column_infos(event.columns)
                elif kind is ResultDone:
                    self.rowcount = event.rowcount
            completed = True
        finally:
            try:
                if not completed:
                    self._drain()
            finally:
                self._finish()

    def _finish(self) -> None:
        self._finished = True
        self._session._stream_done(self)

    def _drain(self) -> None:
        if self._abort is not None:
            self._abort()
            return
        try:
            for _ in self._events:
                pass
        except errors.ServerError:
            pass  # the consumer stopped reading; an error later in the stream is moot

    def __iter__(self) -> Iterator[tuple]:
        return self._rows

    def __next__(self) -> tuple:
        return next(self._rows)

    def close(self) -> None:
        self._rows.close()
        if not self._finished:  # never iterated: the generator body never ran
            try:
                self._drain()
            finally:
                self._finish()

    def __enter__(self) -> RowStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def __getattr__(name: str) -> Any:  # AsyncSession lives in its own module; import lazily
    if name == "AsyncSession":
        from engine.session_async import AsyncSession

        return AsyncSession
    raise AttributeError(name)

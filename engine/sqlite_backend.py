"""An in-process backend: the Session API over the standard library's sqlite3.

There is no wire here, but callers must not notice: results are built from the same events
(`Columns`, `Rows`, `ResultDone`) a wire core emits, through the same `Collector` and
`RowStream`, and errors are the same typed errors. The registry entry's `inprocess` key sends
`connect()` here; what differs (no change of database, cancel by interrupt, which error
codes mean "canceled") is read from the entry's small pack JSON.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from engine import errors
from engine.config import ConnectConfig
from engine.results import Collector, Result
from engine.session import RowStream
from engine.url import pack_document
from engine.wirevm.events import Column, Columns, ResultDone, Rows, ServerErrorEvent
from engine.wirevm.ops import error_from_event

FETCH_BATCH = 1000

#: Storage classes of the values in a column -> the type name callers see. The stdlib
#: module does not expose declared types, so the first non-NULL value decides.
STORAGE_CLASS = {int: "INTEGER", float: "REAL", str: "TEXT", bytes: "BLOB", bool: "INTEGER"}


def split_statements(sql: str) -> list[str]:
    """Split a script into statements (sqlite3.complete_statement knows strings, comments
    and trigger bodies); the last statement may omit its semicolon."""
    statements: list[str] = []
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer)
            buffer = ""
    tail = buffer[:-1]  # the ';' added after the last piece was never in the input
    if tail.strip():
        statements.append(tail)
    return statements


class SQLiteSession:
    """Same surface as `engine.session.Session`."""

    def __init__(self, cfg: ConnectConfig, db: sqlite3.Connection, pack: dict[str, Any]) -> None:
        self.cfg = cfg
        self.pack = pack
        self._db: sqlite3.Connection | None = db
        self._behaviour = dict(pack.get("session") or {})
        self._errors = pack.get("errors")
        self._busy = False
        self._stream: RowStream | None = None
        self._lock = threading.Lock()
        # interrupt() is lost if it lands before the statement starts; the progress handler
        # sees the flag whenever it lands, so cancel() never races the query's start.
        self._cancel_requested = False
        db.set_progress_handler(self._progress, 1000)

    def _progress(self) -> int:
        return 1 if self._cancel_requested else 0

    @classmethod
    def open(cls, cfg: ConnectConfig) -> SQLiteSession:
        pack = pack_document(cfg.scheme)
        try:
            db = sqlite3.connect(
                cfg.path or ":memory:",
                timeout=cfg.connect_timeout,
                isolation_level=None,  # statements run as written; BEGIN/COMMIT are the caller's
                check_same_thread=False,  # cancel() comes from another thread
            )
        except sqlite3.Error as exc:
            raise errors.ConnectError(f"cannot open {cfg.path}: {exc}") from None
        return cls(cfg, db, pack)

    def __enter__(self) -> SQLiteSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SQLiteSession {self.cfg.path} {'closed' if self.closed else 'open'}>"

    @property
    def closed(self) -> bool:
        return self._db is None

    # -- commands ------------------------------------------------------------------------

    def _begin(self) -> sqlite3.Connection:
        if self._stream is not None:
            self._stream.close()
        if self._db is None:
            raise errors.InterfaceError("the session is closed")
        if self._busy:
            raise errors.InterfaceError("another command is still running on this session")
        self._cancel_requested = False
        self._busy = True
        return self._db

    def _error(self, exc: sqlite3.Error) -> errors.EngineError:
        if isinstance(exc, sqlite3.ProgrammingError) and self._db is None:
            return errors.InterfaceError("the session is closed")
        code = getattr(exc, "sqlite_errorcode", None)
        name = getattr(exc, "sqlite_errorname", None)
        event = ServerErrorEvent(
            message=f"{exc}" + (f" ({name})" if name else ""),
            code=code,
            sqlstate=None,
            fields={"error_name": name} if name else {},
        )
        return error_from_event(event, self._errors)

    def _events(self, db: sqlite3.Connection, sql: str) -> Iterator[Any]:
        """Run each statement, producing the events a wire core would."""
        cursor = db.cursor()
        try:
            for statement in split_statements(sql):
                try:
                    cursor.execute(statement)
                    if cursor.description is None:
                        yield ResultDone(rowcount=max(cursor.rowcount, 0))
                        continue
                    batch = cursor.fetchmany(FETCH_BATCH)
                    yield Columns(describe(cursor.description, batch))
                    count = 0
                    while batch:
                        count += len(batch)
                        yield Rows(batch)
                        batch = cursor.fetchmany(FETCH_BATCH)
                    yield ResultDone(rowcount=count)
                except sqlite3.Error as exc:
                    raise self._error(exc) from None
        finally:
            with contextlib.suppress(sqlite3.ProgrammingError):  # the database closed first
                cursor.close()

    def ping(self) -> None:
        self.query("SELECT 1")

    def query(self, sql: str) -> Result:
        db = self._begin()
        collector = Collector()
        try:
            for event in self._events(db, sql):
                collector.feed(event)
        finally:
            self._busy = False
        return collector.result()

    def execute(self, sql: str) -> int:
        return self.query(sql).rowcount

    def stream(self, sql: str) -> RowStream:
        db = self._begin()
        events = self._events(db, sql)
        stream = RowStream(self, events, abort=events.close)
        self._stream = stream
        return stream

    def _stream_done(self, stream: RowStream) -> None:
        if self._stream is stream:
            self._stream = None
        self._busy = False

    def use(self, database: str) -> None:
        rule = self._behaviour.get("use") or {}
        raise errors.InterfaceError(
            rule.get("message", "this database cannot change database").format(database=database)
        )

    @property
    def server(self) -> dict[str, Any]:
        options: list[str] = []
        if self._db is not None:
            options = [row[0] for row in self._db.execute("PRAGMA compile_options")]
        return {
            "version": sqlite3.sqlite_version,
            "thread_id": None,
            "caps": None,
            "auth_plugin": None,
            "tls": None,
            "compile_options": options,
            "parameters": {"path": self.cfg.path},
        }

    def cancel(self) -> bool:
        """Interrupt the running statement (thread-safe); it raises QueryCanceled."""
        db = self._db
        if db is None or not self._busy:
            return False
        with self._lock:
            self._cancel_requested = True
            db.interrupt()
        return True

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()  # cheap here: stops the cursor, reads nothing more
        db, self._db = self._db, None
        if db is not None:
            db.close()


def describe(description: Any, sample: list[tuple]) -> tuple[Column, ...]:
    columns = []
    for index, item in enumerate(description):
        type_name = "NULL"
        for row in sample:
            value = row[index]
            if value is not None:
                type_name = STORAGE_CLASS.get(type(value), type(value).__name__)
                break
        columns.append(Column(name=item[0], type_name=type_name, type_code=0))
    return tuple(columns)

"""A scripted test double for the sans-IO core, and a tiny server that speaks its protocol.

The drivers and sessions only depend on `engine.wirevm.contract.SansIOConnection`; this
line-based protocol honours that contract so the drivers' I/O behaviour (timeouts, EOF,
TLS, cancel, streaming) can be tested against a real local socket without the real core.

Client -> server lines: HELLO user, Q sql, P, U db, X, CANCEL id, STARTTLS-OK.
Server -> client lines: TLS (wrap now), READY version id, C n:t,n:t, R v|v, D count,
E code sqlstate message, Z (ready).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from typing import Any

from engine import errors
from engine.config import ConnectConfig
from engine.wirevm.events import (
    NEED_DATA,
    Column,
    Columns,
    ConnectionClosed,
    Ready,
    ResultDone,
    Rows,
    ServerErrorEvent,
    StartTLS,
)

FAKE_SESSION = {
    "use": {"mode": "command"},
    "cancel": {"mode": "message_on_new_connection"},
    "default_port": 1,
}
FAKE_ERRORS = {"QueryCanceled": {"sqlstate": ["57014"]}, "AuthError": {"sqlstate": ["28P01"]}}


class FakePack:
    def __init__(self, session: dict[str, Any] | None = None) -> None:
        self.session = dict(session or FAKE_SESSION)
        self.errors = FAKE_ERRORS
        self.name = "fake"


class FakeCore:
    """Line protocol core: decodes whatever complete lines are buffered into events."""

    def __init__(self, pack: FakePack, cfg: ConnectConfig) -> None:
        self.cfg = cfg
        self.session = pack.session
        self.server: dict[str, Any] = {"parameters": {}}
        self._in = bytearray()
        self._out = bytearray()
        self._events: list[Any] = []
        self._eof = False
        self._columns: tuple[Column, ...] = ()
        self.tls: dict[str, Any] | None = None

    def start(self) -> None:
        tls = b" TLS" if self.cfg.tls_wanted else b""
        self._out += b"HELLO " + (self.cfg.user or "").encode() + tls + b"\n"

    def receive_data(self, data: bytes) -> None:
        if not data:
            self._eof = True
        self._in += data

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def next_event(self) -> Any:
        if self._events:
            return self._events.pop(0)
        rows: list[tuple] = []
        while True:
            nl = self._in.find(b"\n")
            if nl < 0:
                break
            line = bytes(self._in[:nl]).decode()
            del self._in[: nl + 1]
            if line.startswith("R "):
                rows.append(tuple(line[2:].split("|")))
                continue
            if rows:
                self._events.append(Rows(rows))
                rows = []
            self._events.append(self._decode(line))
            break
        if rows:
            self._events.insert(0, Rows(rows))
        if self._events:
            return self._events.pop(0)
        if self._eof:
            if self._in:
                raise errors.ProtocolError("fake: truncated line at EOF")
            self._eof = False
            return ConnectionClosed("eof")
        return NEED_DATA

    def _decode(self, line: str) -> Any:
        head, _, rest = line.partition(" ")
        if head == "TLS":
            if self._in:
                raise errors.SecurityPolicyError("bytes after TLS switch")
            return StartTLS(self.cfg.host)
        if head == "READY":
            version, _, tid = rest.partition(" ")
            self.server.update(version=version, thread_id=int(tid), auth_plugin="fake")
            return Ready("I")
        if head == "C":
            cols = tuple(
                Column(name=n, type_name=t, type_code=0)
                for n, t in (c.split(":") for c in rest.split(","))
            )
            return Columns(cols)
        if head == "D":
            return ResultDone(rowcount=int(rest))
        if head == "E":
            code, sqlstate, message = rest.split(" ", 2)
            return ServerErrorEvent(message, int(code), sqlstate, {"message": message})
        if head == "Z":
            return Ready("I")
        raise errors.ProtocolError(f"fake: unknown line {line!r}")

    def tls_started(self, *, secure_channel, cert_der=None, version=None, cipher=None) -> None:
        self.tls = {"secure": secure_channel, "version": version}
        self._out += b"STARTTLS-OK\n"

    def query(self, sql: str) -> None:
        self._out += b"Q " + sql.encode() + b"\n"

    def ping(self) -> None:
        self._out += b"P\n"

    def init_db(self, name: str) -> None:
        self._out += b"U " + name.encode() + b"\n"

    def terminate(self) -> None:
        self._out += b"X\n"

    def cancel_request(self) -> bytes | None:
        return b"CANCEL %d\n" % self.server["thread_id"]


class FakeServer:
    """Threaded server for the line protocol. Queries:
    `ROWS n` -> n rows; `ERR` -> an error; `SLEEP` -> waits for a CANCEL then fails 57014;
    `HANG` -> never answers; `DIE` -> closes mid-result; `MULTI` -> two results."""

    def __init__(self, *, tls_context: ssl.SSLContext | None = None, garbage_tls=False) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.tls_context = tls_context
        self.garbage_tls = garbage_tls
        self.cancels: list[int] = []
        self.connections = 0
        self.terminated = 0
        self.databases: list[str] = []
        self.max_rows_written_before_read: int = 0
        self._cancel_event = threading.Event()
        self._stop = False
        self._next_id = 100
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, query: str = "sslmode=disable") -> str:
        return f"fake://u:secret-pw@127.0.0.1:{self.port}/db?{query}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError), conn:
            f = conn.makefile("rb", buffering=0)
            first = readline(f)
            if first.startswith(b"CANCEL"):
                self.cancels.append(int(first.split()[1]))
                self._cancel_event.set()
                return
            if b" TLS" in first:
                if self.garbage_tls:
                    conn.sendall(b"TLS\n")
                    readline_quiet(conn)
                    conn.sendall(b"this is not a TLS server hello at all\n" * 4)
                    time.sleep(0.2)
                    return
                if self.tls_context is not None:
                    conn.sendall(b"TLS\n")
                    conn = self.tls_context.wrap_socket(conn, server_side=True)
                    f = conn.makefile("rb", buffering=0)
                    readline(f)  # STARTTLS-OK
            self._next_id += 1
            tid = self._next_id
            conn.sendall(b"READY 1.0-fake %d\n" % tid)
            while True:
                line = readline(f)
                if not line or line == b"X\n":
                    self.terminated += 1 if line else 0
                    return
                self._command(conn, line.decode().rstrip("\n"))

    def _command(self, conn: socket.socket, line: str) -> None:
        head, _, arg = line.partition(" ")
        if head == "P":
            conn.sendall(b"Z\n")
        elif head == "U":
            if arg == "missing":
                conn.sendall(b"E 1049 42000 Unknown database 'missing'\nZ\n")
            else:
                self.databases.append(arg)
                conn.sendall(b"Z\n")
        elif head == "Q":
            self._query(conn, arg)

    def _query(self, conn: socket.socket, sql: str) -> None:
        word, _, arg = sql.partition(" ")
        if word == "ROWS":
            n = int(arg)
            conn.sendall(b"C id:int,label:text\n")
            chunk = []
            for i in range(n):
                chunk.append(b"R %d|row-%d\n" % (i, i))
                if len(chunk) == 1000:
                    conn.sendall(b"".join(chunk))
                    chunk = []
            conn.sendall(b"".join(chunk) + b"D %d\nZ\n" % n)
        elif word == "MULTI":
            conn.sendall(b"D 3\nC a:int\nR 1\nR 2\nD 2\nZ\n")
        elif word == "ERR":
            conn.sendall(b"E 1064 42601 syntax error near ERR\nZ\n")
        elif word == "SLEEP":
            # A cancel that raced ahead of this line still counts (it is consumed here).
            if self._cancel_event.wait(30):
                self._cancel_event.clear()
                conn.sendall(b"E 0 57014 canceling statement due to user request\nZ\n")
            else:
                conn.sendall(b"D 0\nZ\n")
        elif word == "HANG":
            time.sleep(30)
        elif word == "DIE":
            conn.sendall(b"C a:int\nR 1\nR 2\n")
            conn.shutdown(socket.SHUT_RDWR)
        else:
            conn.sendall(b"D 0\nZ\n")

    def close(self) -> None:
        self._stop = True
        self._cancel_event.set()
        with contextlib.suppress(OSError):
            self.listener.close()


def readline(f: Any) -> bytes:
    out = bytearray()
    while True:
        b = f.read(1)
        if not b:
            return bytes(out)
        out += b
        if b == b"\n":
            return bytes(out)


def readline_quiet(conn: socket.socket) -> None:
    conn.settimeout(2)
    with contextlib.suppress(OSError):
        conn.recv(4096)

"""The blocking driver: runs `ops` generators over a socket.

It is the only sync code that touches sockets, TLS and clocks (the core has none of them).
It reads into one preallocated 256 KiB buffer, sends each command with one `sendall`, wraps
the socket in TLS when the core asks (no read-ahead buffer exists before that, so no
plaintext byte can be smuggled past the TLS switch), turns socket failures into the
engine's typed errors and enforces the connect and read deadlines.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Generator, Iterator
from typing import Any

from engine import errors
from engine.config import ConnectConfig
from engine.wirevm import tlsconf
from engine.wirevm.ops import RECV, SEND, STARTTLS

RECV_BUFFER = 256 * 1024
CLOSE_GRACE = 1.0  # seconds a goodbye may take before we just drop the socket


def open_socket(cfg: ConnectConfig, unix_path: str | None) -> socket.socket:
    """Dial TCP (or a unix socket) within cfg.connect_timeout; ConnectError / TimeoutError."""
    where = unix_path or f"{cfg.host}:{cfg.port}"
    try:
        if unix_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(cfg.connect_timeout)
            try:
                sock.connect(unix_path)
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection((cfg.host, cfg.port), timeout=cfg.connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except TimeoutError:
        raise errors.TimeoutError(
            f"connect to {where} timed out after {cfg.connect_timeout:g}s"
        ) from None
    except socket.gaierror as exc:
        raise errors.ConnectError(f"cannot resolve {cfg.host!r}: {exc.strerror}") from None
    except OSError as exc:
        raise errors.ConnectError(f"cannot connect to {where}: {exc.strerror or exc}") from None
    return sock


class SyncChannel:
    """One socket plus the loop that answers an operation's waits."""

    def __init__(self, sock: socket.socket, cfg: ConnectConfig, *, unix: bool = False) -> None:
        self.sock = sock
        self.cfg = cfg
        self.unix = unix
        self.where = cfg.path if unix else f"{cfg.host}:{cfg.port}"
        self.tls: dict[str, Any] | None = None
        self.closed = False
        self._buf = bytearray(RECV_BUFFER)
        self._view = memoryview(self._buf)
        self._deadline_label = "connect"
        self._salvaged: list[bytes] = []
        self._salvaged_used = False
        sock.settimeout(cfg.connect_timeout)

    @classmethod
    def open(cls, cfg: ConnectConfig, unix_path: str | None = None) -> SyncChannel:
        return cls(open_socket(cfg, unix_path), cfg, unix=bool(unix_path))

    def handshake_done(self) -> None:
        """Switch from the connect deadline to the per-read deadline for commands."""
        self._deadline_label = "read"
        self.sock.settimeout(self.cfg.read_timeout)

    # -- running operations ------------------------------------------------------------

    def run(self, op: Generator[Any, Any, Any]) -> Any:
        """Run an operation to its end, discarding its output events; return its value."""
        for _ in self.iterate(op):
            pass
        return self._last_value

    def iterate(self, op: Generator[Any, Any, Any]) -> Iterator[Any]:
        """Run an operation, yielding its output events as they arrive (and reading from
        the socket only when the consumer asks for more)."""
        value: Any = None
        send = op.send
        wait = self._wait
        self._last_value = None
        try:
            while True:
                try:
                    item = send(value)
                except StopIteration as stop:
                    self._last_value = stop.value
                    return
                if type(item) is tuple:
                    value = wait(item)
                else:
                    value = None
                    yield item
        except errors.ServerError as exc:
            if not self._salvaged_used:
                raise
            self.close()  # the answer was read after the server hung up: the link is gone
            raise errors.ConnectionLost(
                f"the server closed the connection: {exc}", server_error=exc
            ) from None
        except (errors.OperationalError, errors.InterfaceError, errors.DataError) as exc:
            if not exc.details.get("after_ready"):
                self.close()  # the link is broken or out of step: nothing more can be trusted
            raise
        finally:
            op.close()

    def _wait(self, request: tuple) -> Any:
        kind = request[0]
        if kind == RECV:
            return self._recv()
        if kind == SEND:
            self._send(request[1])
            return None
        if kind == STARTTLS:
            return self._start_tls(request[1])
        raise errors.InterfaceError(f"unknown wait request {kind!r}")

    def _recv(self) -> bytes:
        if self._salvaged:
            return self._salvaged.pop(0)
        if self.closed:
            raise errors.InterfaceError("the session is closed")
        try:
            n = self.sock.recv_into(self._buf)
        except TimeoutError:
            limit = self.sock.gettimeout()
            raise errors.TimeoutError(
                f"{self._deadline_label} timeout: {self.where} sent nothing for {limit:g}s"
                " (session closed)"
            ) from None
        except ssl.SSLError as exc:
            raise errors.TLSError(f"TLS failure while reading from {self.where}: {exc}") from None
        except OSError as exc:
            raise errors.ConnectionLost(
                f"connection to {self.where} lost: {exc.strerror or exc}"
            ) from None
        return bytes(self._view[:n])

    def _send(self, data: bytes) -> None:
        if self.closed:
            raise errors.InterfaceError("the session is closed")
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise errors.TimeoutError(
                f"{self._deadline_label} timeout while sending to {self.where} (session closed)"
            ) from None
        except OSError as exc:
            pending = self._salvage()
            if not pending:
                raise errors.ConnectionLost(
                    f"connection to {self.where} lost while sending: {exc.strerror or exc}"
                ) from None
            # The server said why before hanging up (e.g. a packet over its size limit):
            # let the core read that answer, then EOF, so the caller sees the reason.
            self._salvaged = [pending, b""]
            self._salvaged_used = True

    def _salvage(self) -> bytes:
        """After EPIPE / reset the server may have said why (an error before hanging up):
        collect what is still readable."""
        chunks = []
        with contextlib.suppress(OSError):
            self.sock.settimeout(0.2)
            while True:
                n = self.sock.recv_into(self._buf)
                if not n:
                    break
                chunks.append(bytes(self._view[:n]))
        return b"".join(chunks)

    def _start_tls(self, hostname: str | None) -> dict[str, Any]:
        ctx, verified = tlsconf.build_context(self.cfg)
        server_hostname = hostname or self.cfg.host
        try:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)
        except OSError as exc:
            raise tlsconf.handshake_error(exc, self.where) from None
        self.tls = tlsconf.check_pin(self.cfg, tlsconf.describe(self.sock, verified), self.where)
        return tlsconf.facts_for_core(self.tls)

    # -- out-of-band -------------------------------------------------------------------

    def send_bounded(self, data: bytes) -> None:
        """Best effort send for goodbyes: never blocks longer than CLOSE_GRACE."""
        if self.closed or not data:
            return
        with contextlib.suppress(OSError):
            self.sock.settimeout(CLOSE_GRACE)
            self.sock.sendall(data)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()

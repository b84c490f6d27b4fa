"""The sans-IO protocol core: bytes in, events out, driven entirely by a compiled wire pack.

`WireConnection` implements `engine.wirevm.contract.SansIOConnection` (h11's Connection is
the model): the driver feeds bytes with `receive_data`, takes events from `next_event`, and
sends what `data_to_send` returns. No socket, no clock, no `await` in here.

Inside, the layers are: receive buffer -> framer (sequence ids, size caps, continuations)
-> dispatcher (per script state) -> message decoders or, for rows, the batch row codec ->
script runner -> events. The core knows no database family: the connect script, the auth
plugins, the command scripts and the error mapping all come from the pack.

Failure discipline: only ProtocolError, ConnectionLost, ConnectError (the server refused the
connection with an error: unknown database, too many connections), AuthError, TLSError,
SecurityPolicyError and DataError leave `next_event()`; errors of a command are events
(ServerErrorEvent, with `fields["error_class"]` naming ServerError / QueryCanceled /
SecurityPolicyError). Anything else a
hostile byte stream could provoke inside the interpreter (struct.error, IndexError,
TypeError from a null in an expression...) is turned into ProtocolError, and the connection
is dead from then on. A DataError from a value decoder is the exception: the rest of that
result is drained without decoding, so the session stays usable.
"""

from __future__ import annotations

import hashlib
import struct
from collections import deque
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

from engine import errors as E
from engine.config import ConnectConfig
from engine.wirevm import events as ev
from engine.wirevm import rowcodecs
from engine.wirevm.expr import Scope, pack_compiler
from engine.wirevm.framing import Framer
from engine.wirevm.packs import CompiledPack
from engine.wirevm.scripts import Runner

_PASS_THROUGH = (
    E.ConnectError,
    E.ProtocolError,
    E.ConnectionLost,
    E.ServerError,
    E.AuthError,
    E.TLSError,
    E.SecurityPolicyError,
    E.DataError,
    E.InterfaceError,
)
_MALFORMED = (
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ValueError,
    UnicodeError,
    OverflowError,
    ArithmeticError,
    AttributeError,
    RecursionError,
    MemoryError,
)
_ERROR_CLASSES = {
    c.__name__: c
    for c in (
        E.ProtocolError,
        E.AuthError,
        E.TLSError,
        E.SecurityPolicyError,
        E.ServerError,
        E.QueryCanceled,
        E.DataError,
        E.ConnectionLost,
    )
}
_EVENTS = {
    "Ready": ev.Ready,
    "ResultDone": ev.ResultDone,
    "Notice": ev.Notice,
    "Notification": ev.Notification,
    "ParameterChanged": ev.ParameterChanged,
}
_COMPACT_AT = 1 << 16


def _cfg_view(cfg: ConnectConfig) -> dict[str, Any]:
    """What packs may read as `cfg.*`: the config's fields (password stays a Secret), the
    derived TLS flags and a pinned server key loaded as PEM bytes."""
    view = {f.name: getattr(cfg, f.name) for f in dc_fields(cfg)}
    view["tls_required"], view["tls_wanted"] = cfg.tls_required, cfg.tls_wanted
    key = cfg.server_public_key
    if key and "-----BEGIN" not in key:
        try:
            key = Path(key).read_text(encoding="ascii")
        except OSError as exc:
            raise E.ConfigError(f"cannot read server_public_key: {exc.strerror}") from None
    view["server_public_key"] = key.encode("ascii") if key else None
    return view


class WireConnection:
    """One client connection's protocol state, interpreted from `pack`."""

    def __init__(self, pack: CompiledPack, cfg: ConnectConfig) -> None:
        self.pack, self.cfg = pack, cfg
        self.session: dict[str, Any] = pack.session
        self.server: dict[str, Any] = {
            "version": None,
            "thread_id": None,
            "caps": None,
            "auth_plugin": None,
            "parameters": {},
            "tls": None,
        }
        self._tls = {"active": False, "secure_channel": bool(cfg.path), "cert_der": None}
        self._vars: dict[str, Any] = {}
        self._slot: dict[str, Any] = {"msg": None, "arg": None}
        names = {
            "cfg": _cfg_view(cfg),
            "server": self.server,
            "tls": self._tls,
            "limits": pack.limits,
        }
        self._scope = Scope(self._slot, self._vars, names)
        self._framer = Framer(pack.framing, int(pack.max_payload(self._scope) or cfg.max_message))
        self._buf = bytearray()
        self._pos = 0
        self._eof = False
        self._out: list[bytes] = []
        self._events: deque = deque()
        self._runner = Runner(pack.scripts)
        self._wait: tuple | None = None
        self._dead: Exception | None = None
        self._closed = False
        self._convs: list | None = None
        self._walker: rowcodecs.Walker | None = None
        self._discard = False
        self._auth_rounds = 0
        self._decoders: dict = {}

    # ---- driver surface ------------------------------------------------------------------

    def start(self) -> None:
        self._begin("connect")
        self._prime()

    def receive_data(self, data: bytes) -> None:
        if self._eof and data:
            raise E.InterfaceError("receive_data after EOF")
        if not data:
            self._eof = True
            return
        if self._pos > _COMPACT_AT and self._pos * 2 > len(self._buf):
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def data_to_send(self) -> bytes:
        out, self._out = b"".join(self._out), []
        return out

    def next_event(self):
        if self._events:
            return self._events.popleft()
        if self._dead is not None:
            raise E.ProtocolError(f"the connection is unusable after: {self._dead}")
        try:
            self._advance()
        except E.DataError:
            self._discard = True
            raise
        except _PASS_THROUGH as exc:
            self._dead = exc
            raise
        except E.EngineError as exc:
            self._dead = exc
            raise
        except _MALFORMED as exc:
            self._dead = E.ProtocolError(f"malformed server data ({type(exc).__name__})")
            raise self._dead from None
        if self._events:
            return self._events.popleft()
        if self._eof:
            return self._on_eof()
        return ev.NEED_DATA

    def tls_started(
        self,
        *,
        secure_channel: bool,
        cert_der: bytes | None = None,
        version: str | None = None,
        cipher: str | None = None,
    ) -> None:
        if not self._wait or self._wait[0] != "tls":
            raise E.InterfaceError("tls_started() without a StartTLS event")
        self._tls.update(active=True, secure_channel=bool(secure_channel), cert_der=cert_der)
        self.server["tls"] = {
            "version": version,
            "cipher": cipher,
            "cert_sha256": hashlib.sha256(cert_der).hexdigest() if cert_der else None,
        }
        goto, self._wait = self._wait[1], None
        self._runner.goto(goto)

    def query(self, sql: str) -> None:
        self._command("query", sql)

    def ping(self) -> None:
        self._command("ping", None)

    def init_db(self, name: str) -> None:
        if "init_db" not in self.pack.scripts:
            raise E.InterfaceError("this connection changes database by reconnecting")
        self._command("init_db", name)

    def terminate(self) -> None:
        if self._closed or self._dead is not None:
            return
        self._runner.stack.clear()
        self._wait = None
        if "terminate" in self.pack.scripts:
            self._begin("terminate")
            self._advance()
        self._closed = True
        self._events.append(ev.ConnectionClosed("terminated by the client"))

    def cancel_request(self) -> bytes | None:
        spec = self.session.get("cancel", {})
        if spec.get("mode") != "message_on_new_connection" or self.server.get("thread_id") is None:
            return None
        codec = self.pack.messages[spec["message"]]
        compile_at = pack_compiler(self.pack.constants, None, self.pack.name)
        values = {
            k: compile_at(v, f"/session/cancel/fields/{k}")(self._scope)
            for k, v in spec.get("fields", {}).items()
        }
        payload = codec.encode(values, self._scope)
        return Framer(self.pack.framing, self._framer.max_payload).frame(payload, untagged=True)

    # ---- command plumbing ----------------------------------------------------------------

    def _command(self, script: str, arg: Any) -> None:
        if self._closed or self._dead is not None:
            raise E.InterfaceError("the connection is closed")
        if self._runner.active or self._wait or self._events:
            raise E.InterfaceError("a command is still running on this connection")
        if script not in self.pack.scripts:
            raise E.InterfaceError(f"this connection has no {script!r} command")
        self._begin(script)
        self._slot["arg"] = arg
        try:
            self._prime()
        except E.InterfaceError:
            self._runner.stack.clear()  # e.g. a NUL in the SQL: nothing was queued
            self._out.clear()
            raise

    def _prime(self) -> None:
        """Run the script up to its first wait, so the command's bytes are queued as soon
        as the call returns (a driver may flush before it ever calls next_event)."""
        if not self._buf[self._pos :]:
            self._advance()

    def _begin(self, script: str) -> None:
        self._runner.start(script)
        self._convs, self._discard, self._auth_rounds = None, False, 0

    def _on_eof(self):
        if self._closed or (not self._runner.active and self._pos >= len(self._buf)):
            self._closed = True
            return ev.ConnectionClosed("the server closed the connection")
        self._dead = E.ConnectionLost("the server closed the connection mid-exchange")
        raise self._dead

    # ---- the interpreter loop ------------------------------------------------------------

    def _advance(self) -> None:
        runner, events = self._runner, self._events
        while not events:
            if self._wait is not None:
                if not self._wait_step():
                    return
                continue
            if not runner.active:
                if not self._idle_step():
                    return
                continue
            st = runner.state()
            if st.kind == "on":
                if not self._message_step(st):
                    return
                continue
            runner.tick()
            if st.kind == "do":
                self._run(st.actions, st.goto)
            else:
                picked = runner.pick(st.branches, self._scope)
                if picked is None:
                    raise E.ProtocolError(f"no branch of state {st.name!r} applies")
                self._run(picked[1], picked[2])

    def _wait_step(self) -> bool:
        kind = self._wait[0]
        if kind == "tls":
            return False
        _, n, var, goto = self._wait
        if len(self._buf) - self._pos < n:
            return False
        self._vars[var] = bytes(self._buf[self._pos : self._pos + n])
        self._pos += n
        self._wait = None
        self._runner.consumed()
        self._runner.goto(goto)
        return True

    def _idle_step(self) -> bool:
        """No command runs: only asynchronous messages are legal now."""
        got = self._framer.take(self._buf, self._pos, len(self._buf))
        if got is None:
            return False
        tag, payload, self._pos = got
        name = self._classify(None, tag, payload)
        msg = self._decode(name, payload)
        evname = msg.get("@event", name)
        if evname not in self.pack.async_handlers:
            raise E.ProtocolError(f"unexpected {evname} while no command is running")
        self._run_async(evname)
        return True

    def _message_step(self, st) -> bool:
        if st.rows and self._convs is not None:
            if self._walker is None:
                frames = self.pack.dispatch.row_frames(st.dispatch)
                self._walker = rowcodecs.Walker(self._framer, frames)
            if self._rows_batch():
                return True
        got = self._framer.take(self._buf, self._pos, len(self._buf))
        if got is None:
            return False
        tag, payload, self._pos = got
        name = self._classify(st.dispatch, tag, payload)
        if name == "@row":
            if self._convs is None:
                raise E.ProtocolError("a row arrived before its column description")
            self._emit_rows([self._decode_row(payload)])
            return True
        msg = self._decode(name, payload)
        evname = msg.get("@event", name)
        options = st.handlers.get(evname)
        if options is None:
            if evname in self.pack.async_handlers:
                self._run_async(evname)
                return True
            raise E.ProtocolError(f"unexpected {evname} in state {st.name!r}")
        picked = self._runner.pick(options, self._scope)
        if picked is None:
            raise E.ProtocolError(f"no handler for {evname} in state {st.name!r} applies")
        self._runner.consumed()
        self._run(picked[1], picked[2])
        return True

    def _classify(self, table: str | None, tag: int | None, payload: bytes) -> str:
        d = self.pack.dispatch
        if d.by == "tag":
            name = d.tags.get(tag)
            if name is None:
                raise E.ProtocolError(f"unknown message type {bytes([tag])!r}")
            return name
        first = payload[0] if payload else None
        for r in d.tables.get(table or "", ()):
            if "first" in r and r["first"] != first:
                continue
            if "max_len" in r and len(payload) > r["max_len"]:
                continue
            if "min_len" in r and len(payload) < r["min_len"]:
                continue
            if "when" in r and not r["when"](self._scope):
                continue
            return r["msg"]
        raise E.ProtocolError(f"unexpected packet {first!r} in state {table!r}")

    def _decode(self, name: str, payload: bytes) -> dict:
        msg = self.pack.messages[name].decode(payload, self._scope)
        self._slot["msg"] = msg
        return msg

    # ---- rows ----------------------------------------------------------------------------

    def _rows_batch(self) -> bool:
        w, buf, pos = self._walker, self._buf, self._pos
        if not w.first_complete(buf, pos, len(buf)):
            return False
        data = bytes(memoryview(buf)[pos:])  # one copy; converters then see plain bytes
        convs = [bytes] * len(self._convs) if self._discard else self._convs
        w.resume = 0
        try:
            rows, used = self.pack.row_style(convs, data, 0, len(data), w)
        except E.DataError:
            self._pos += w.resume  # skip the failing row: the stream stays in sync
            raise
        if not used:
            return False
        self._pos += used
        self._emit_rows(rows)
        return True

    def _decode_row(self, payload: bytes) -> tuple:
        return rowcodecs.decode_one(self.pack.row_style, self._convs, payload)

    def _emit_rows(self, rows: list) -> None:
        self._vars["row_count"] = self._vars.get("row_count", 0) + len(rows)
        if not self._discard:
            self._events.append(ev.Rows(rows))

    def _columns(self, colmsgs: list) -> None:
        limit = self.pack.limits.get("max_columns", 4096)
        if not isinstance(colmsgs, list) or not 0 < len(colmsgs) <= limit:
            raise E.ProtocolError(f"bad column count {len(colmsgs or [])}")
        spec, cols, convs = self.pack.column, [], []
        for c in colmsgs:
            sc = self._scope.child({"col": c})
            cols.append(
                ev.Column(
                    name=str(spec["name"](sc)),
                    type_name=str(spec["type_name"](sc)),
                    type_code=int(spec["type_code"](sc)),
                    meta={k: f(sc) for k, f in spec["meta"].items()},
                )
            )
            convs.append(self._converter(sc))
        self._convs, self._discard = convs, False
        self._walker = None  # built when the rows state is reached
        self._vars["row_count"] = 0
        self._events.append(ev.Columns(tuple(cols)))

    def _converter(self, sc: Scope):
        from engine.wirevm.values import decoder_factory

        for rule in self.pack.type_rules:
            if rule.when is not None and not rule.when(sc):
                continue
            if rule.guard is not None and not rule.guard(sc):
                message = rule.guard_message

                def refuse(raw: bytes, message=message):
                    raise E.DataError(message, raw=bytes(raw))

                return refuse
            if rule.decoder is None:
                continue  # a guard-only rule: the value is decoded by a later rule
            key = (rule.decoder, tuple(sorted(rule.params.items())))
            conv = self._decoders.get(key)
            if conv is None:
                conv = self._decoders[key] = decoder_factory(rule.decoder, **rule.params)
            return conv
        raise E.ProtocolError("no type rule matched")  # unreachable: last rule is a default

    # ---- actions -------------------------------------------------------------------------

    def _run_async(self, name: str) -> None:
        for action in self.pack.async_handlers[name]:
            self._act(action, None)

    def _run(self, actions: list, goto: str | None) -> None:
        for action in actions:
            if self._act(action, goto):
                return  # suspended or called a sub-script: it decides where to go next
        self._runner.goto(goto)

    def _act(self, a: tuple, goto: str | None) -> bool:
        op, sc = a[0], self._scope
        if op == "send":
            codec = self.pack.messages[a[1]]
            payload = codec.encode({k: f(sc) for k, f in a[2].items()}, sc)
            if codec.command:
                self._framer.reset_sequence()
            tag = ord(codec.tag) if codec.tag else None
            self._out.append(self._framer.frame(payload, tag, codec.untagged))
        elif op == "set":
            self._assign(a[1], a[2](sc))
        elif op == "append":
            target = self._vars.setdefault(a[1], [])
            if len(target) >= self.pack.limits.get("max_list_items", 65536):
                raise E.ProtocolError(f"too many items in {a[1]}")
            target.append(a[2](sc))
        elif op == "put":
            self._lookup_dict(a[1])[a[2](sc)] = a[3](sc)
        elif op == "require":
            if not a[1](sc):
                self._fail(a[2])
        elif op == "reset_seq":
            self._framer.reset_sequence()
        elif op == "emit":
            self._events.append(_EVENTS[a[1]](**{k: f(sc) for k, f in a[2].items()}))
        elif op == "columns":
            self._columns(a[1](sc))
        elif op == "auth_response":
            self._auth_response(a[1](sc), a[2](sc), a[3])
        elif op == "fail":
            self._fail(a[1])
        elif op == "fail_with":
            # A server error that ends the connection (connect phase, FATAL while idle): an
            # auth failure, or the server refusing the connection (unknown database, too many
            # connections, shutting down): OperationalError, the CLI's "cannot connect".
            cls, message, code, sqlstate, fields = self._server_error(a[1](sc))
            if cls is E.AuthError:
                raise E.AuthError(message, code=code, sqlstate=sqlstate)
            raise E.ConnectError(message, code=code, sqlstate=sqlstate, fields=fields)
        elif op == "server_error":
            cls, message, code, sqlstate, fields = self._server_error(a[1](sc))
            fields["error_class"] = cls.__name__
            self._events.append(ev.ServerErrorEvent(message, code, sqlstate, fields))
        elif op == "refuse":
            f = self.pack.failures[a[1]]
            self._events.append(
                ev.ServerErrorEvent(
                    f["message"], None, f.get("sqlstate"), {"error_class": f["error"]}
                )
            )
        elif op == "read_raw":
            self._wait = ("raw", a[1], a[2], goto)
            return True
        elif op == "start_tls":
            if self._pos != len(self._buf):
                raise E.SecurityPolicyError("the server sent bytes before the TLS handshake")
            self._wait = ("tls", goto)
            self._events.append(ev.StartTLS(self.cfg.host))
            return True
        elif op == "run":
            self._runner.call(a[1], goto)
            return True
        elif op == "run_plugin":
            plugin = self.pack.auth_plugins.get(a[1](sc)) or {}
            if not plugin.get("more"):
                raise E.ProtocolError(f"unexpected auth data for plugin {a[1](sc)!r}")
            self._runner.call(plugin["more"], goto)
            return True
        return False

    def _assign(self, target: str, value: Any) -> None:
        if target.startswith("server."):
            self.server[target[7:]] = value
        else:
            self._vars[target] = value

    def _lookup_dict(self, dotted: str) -> dict:
        head, _, rest = dotted.partition(".")
        d = self.server if head == "server" else self._vars.setdefault(head, {})
        for part in filter(None, rest.split(".")):
            d = d.setdefault(part, {})
        return d

    def _fail(self, code: str):
        f = self.pack.failures[code]
        raise _ERROR_CLASSES[f["error"]](f["message"])

    def _auth_response(self, plugin_name: Any, data: Any, var: str) -> None:
        self._auth_rounds += 1
        if self._auth_rounds > self.pack.limits.get("max_auth_rounds", 8):
            raise E.ProtocolError("too many authentication rounds")
        plugin = self.pack.auth_plugins.get(plugin_name)
        if plugin is None:
            raise E.AuthError(f"the server asks for an unsupported auth plugin {plugin_name!r}")
        self._vars["auth_data"] = data
        if plugin["require"] is not None and not plugin["require"](self._scope):
            self._fail(plugin["refusal"])
        self._vars[var] = plugin["initial"](self._scope)
        self.server["auth_plugin"] = plugin_name

    def _server_error(self, msg: dict):
        errs, sc = self.pack.errors, self._scope.child({"msg": msg})
        message = str(errs["message"](sc) or "server error")
        code = errs["code"](sc) if "code" in errs else None
        sqlstate = errs["sqlstate"](sc) if "sqlstate" in errs else None
        fields = dict(errs["fields"](sc) or {}) if "fields" in errs else {}
        if "rename" in errs:
            names = self.pack.tables[errs["rename"]]
            fields = {names.get(k, k): v for k, v in fields.items()}
        if "auth_failure" in errs and errs["auth_failure"](sc):
            cls = E.AuthError
        elif "canceled" in errs and errs["canceled"](sc):
            cls = E.QueryCanceled
        else:
            cls = E.ServerError
        return cls, message, code, sqlstate, fields

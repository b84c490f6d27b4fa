"""Message layouts compiled into decoders and encoders.

A pack describes each message as a list of typed fields (§2.2 of WIREVM.md). At load time
every field becomes a small closure; a message becomes a tuple of them run in a loop. A
decoder is `(payload: bytes, scope) -> dict`; an encoder is `(values: dict, scope) -> bytes`.
Every variable-length read is checked against the end of the frame (or of its region), so a
hostile length can only produce `ProtocolError("<Message>.<field>: truncated")`, never an
IndexError or an oversized allocation.

The generic path serves handshakes, OK/ERR and column metadata; rows never come here (see
rowcodecs.py), so clarity wins over speed in this module.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from engine.errors import InterfaceError, PackError, ProtocolError, SecurityPolicyError
from engine.secret import Secret
from engine.wirevm.expr import Scope

INT_TYPES = {
    "u8": ("B", 1),
    "u16": ("H", 2),
    "u32": ("I", 4),
    "u64": ("Q", 8),
    "i8": ("b", 1),
    "i16": ("h", 2),
    "i32": ("i", 4),
    "i64": ("q", 8),
}

Reader = Callable[[bytes, int, int, dict, Scope], int]
Writer = Callable[[dict, Scope, list], None]


class _Ctx:
    """Compile-time context: the message name (for messages), expression compiler, endian."""

    def __init__(self, msg: str, compile_at, endian: str, path: str) -> None:
        self.msg, self.compile_at, self.path = msg, compile_at, path
        self.order = "<" if endian == "le" else ">"
        self.byteorder = "little" if endian == "le" else "big"

    def fail(self, field: str, what: str):
        return ProtocolError(f"{self.msg}.{field}: {what}")


def read_lenenc(buf: bytes, pos: int, end: int) -> tuple[int | None, int]:
    """MySQL length-encoded integer; returns (value or None for 0xFB, new pos); -1 on bounds."""
    if pos >= end:
        return -1, -1
    b = buf[pos]
    if b < 251:
        return b, pos + 1
    if b == 251:
        return None, pos + 1
    size = {252: 2, 253: 3, 254: 8}.get(b)
    if size is None or pos + 1 + size > end:
        return -1, -1
    return int.from_bytes(buf[pos + 1 : pos + 1 + size], "little"), pos + 1 + size


def write_lenenc(n: int) -> bytes:
    if n < 251:
        return bytes((n,))
    if n < 1 << 16:
        return b"\xfc" + n.to_bytes(2, "little")
    if n < 1 << 24:
        return b"\xfd" + n.to_bytes(3, "little")
    return b"\xfe" + n.to_bytes(8, "little")


def _as_bytes(value: Any, field: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, Secret):
        raise SecurityPolicyError(f"{field}: a secret must pass through an auth primitive")
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, int):
        return str(value).encode()
    raise InterfaceError(f"{field}: cannot encode {type(value).__name__}")


def _decode_text(raw: bytes, codec: str | None):
    return raw if codec is None else raw.decode(codec, "replace")


class MessageCodec:
    """One compiled message: decode a payload, encode values, named for error messages."""

    def __init__(self, name: str, spec: dict, ctx: _Ctx, readers, writers) -> None:
        self.name, self.spec = name, spec
        self.tag = spec.get("tag")
        self.untagged = bool(spec.get("untagged"))
        self.command = bool(spec.get("command"))
        self._readers, self._writers = readers, writers

    def decode(self, payload: bytes, scope: Scope) -> dict:
        out: dict[str, Any] = {}
        sc = scope.child(out)
        pos, end = 0, len(payload)
        for r in self._readers:
            pos = r(payload, pos, end, out, sc)
        out.pop("remaining", None)
        out.pop("next_byte", None)
        return out

    def encode(self, values: dict, scope: Scope) -> bytes:
        parts: list[bytes] = []
        sc = scope.child(values)
        for w in self._writers:
            w(values, sc, parts)
        return b"".join(parts)


def compile_message(name: str, spec: dict, fields: list, compile_at, endian: str, path: str):
    ctx = _Ctx(name, compile_at, endian, path)
    readers, writers = _compile_fields(fields, ctx, f"{path}/fields")
    return MessageCodec(name, spec, ctx, readers, writers)


def _compile_fields(fields: list, ctx: _Ctx, path: str) -> tuple[list[Reader], list[Writer]]:
    readers, writers = [], []
    for i, f in enumerate(fields):
        r, w = _compile_field(f, ctx, f"{path}/{i}")
        readers.append(r)
        writers.append(w)
    return readers, writers


def _run(readers, buf, pos, end, out, sc):
    for r in readers:
        pos = r(buf, pos, end, out, sc)
    return pos


def _compile_field(f: dict, ctx: _Ctx, path: str) -> tuple[Reader, Writer]:
    ftype = f["type"]
    name = f.get("name") or f"<{ftype}>"
    reader, writer = _BUILDERS[ftype](f, ctx, path, name)
    if "expect" in f or "one_of" in f:
        allowed = [f["expect"]] if "expect" in f else list(f["one_of"])
        allowed += [a.encode() for a in allowed if isinstance(a, str)]
        inner_r = reader

        def reader(buf, pos, end, out, sc, inner_r=inner_r):
            pos = inner_r(buf, pos, end, out, sc)
            if out.get(name) not in allowed:
                raise ctx.fail(name, f"unexpected value {out.get(name)!r}")
            return pos

    if "when" in f:
        cond = ctx.compile_at(f["when"], f"{path}/when")
        inner_r, inner_w = reader, writer

        def reader(buf, pos, end, out, sc, inner_r=inner_r):
            out["remaining"] = end - pos
            out["next_byte"] = buf[pos] if pos < end else None
            if cond(sc):
                return inner_r(buf, pos, end, out, sc)
            if f.get("name") and ftype not in ("group", "let"):
                out.setdefault(name, None)
            return pos

        def writer(vals, sc, parts, inner_w=inner_w):
            if cond(sc):
                inner_w(vals, sc, parts)

    return reader, writer


def _value_getter(f: dict, ctx: _Ctx, path: str, name: str, default):
    expr = ctx.compile_at(f["value"], f"{path}/value") if "value" in f else None

    def get(vals, sc):
        if name in vals and vals[name] is not None:
            return vals[name]
        if expr is not None:
            v = expr(sc)
            if v is not None:
                return v
        return default

    return get


def _int_field(f, ctx, path, name):
    ftype = f["type"]
    order = {"le": "<", "be": ">"}.get(f.get("endian"), ctx.order)
    if ftype == "u24":
        bo = "little" if order == "<" else "big"

        def unpack(buf, pos):
            return int.from_bytes(buf[pos : pos + 3], bo)

        def pack(v):
            return int(v).to_bytes(3, bo)

        size = 3
    else:
        code, size = INT_TYPES[ftype]
        st = struct.Struct(order + code)

        def unpack(buf, pos, u=st.unpack_from):
            return u(buf, pos)[0]

        def pack(v, p=st.pack):
            return p(int(v))

    get = _value_getter(f, ctx, path, name, 0)

    def reader(buf, pos, end, out, sc):
        if pos + size > end:
            raise ctx.fail(name, "truncated")
        out[name] = unpack(buf, pos)
        return pos + size

    def writer(vals, sc, parts):
        try:
            parts.append(pack(get(vals, sc)))
        except (struct.error, OverflowError, TypeError, ValueError) as exc:
            raise InterfaceError(f"{ctx.msg}.{name}: cannot encode: {exc}") from None

    return reader, writer


def _len_expr(f, ctx, path):
    return ctx.compile_at(f["len"], f"{path}/len") if "len" in f else None


def _bytes_like(f, ctx, path, name):
    """lenenc_bytes, bytes, cstr, rest, prefixed: they differ only in how the length is found."""
    ftype, codec, cap = f["type"], f.get("text"), f.get("max")
    nul_required = f.get("nul", "required") == "required"
    length = _len_expr(f, ctx, path)
    nullable = f.get("nullable", False)
    if ftype == "prefixed":
        len_code, len_size = INT_TYPES[f.get("len_type", "u8")]
        len_st = struct.Struct(ctx.order + len_code)
        null_len = f.get("null_len")

    def reader(buf, pos, end, out, sc):
        if ftype == "lenenc_bytes":
            n, pos = read_lenenc(buf, pos, end)
            if pos < 0:
                raise ctx.fail(name, "truncated")
            if n is None:
                if not nullable:
                    raise ctx.fail(name, "unexpected NULL marker")
                out[name] = None
                return pos
            stop = pos + n
        elif ftype == "bytes":
            n = length(sc)
            if not isinstance(n, int) or n < 0:
                raise ctx.fail(name, f"bad length {n!r}")
            stop = pos + n
        elif ftype == "prefixed":
            if pos + len_size > end:
                raise ctx.fail(name, "truncated")
            n = len_st.unpack_from(buf, pos)[0]
            pos += len_size
            if null_len is not None and n == null_len:
                out[name] = None
                return pos
            if n < 0:
                raise ctx.fail(name, f"bad length {n}")
            stop = pos + n
        elif ftype == "cstr":
            stop = buf.find(b"\0", pos, end)
            if stop < 0:
                if nul_required:
                    raise ctx.fail(name, "missing NUL terminator")
                stop = end
            raw = bytes(buf[pos:stop])
            if cap is not None and len(raw) > cap:
                raise ctx.fail(name, f"longer than {cap}")
            out[name] = _decode_text(raw, codec)
            return min(stop + 1, end) if stop < end else stop
        else:  # rest
            stop = end
        if stop > end:
            raise ctx.fail(name, "truncated")
        if cap is not None and stop - pos > cap:
            raise ctx.fail(name, f"longer than {cap}")
        out[name] = _decode_text(bytes(buf[pos:stop]), codec)
        return stop

    get = _value_getter(f, ctx, path, name, None)

    def writer(vals, sc, parts):
        v = get(vals, sc)
        if v is None and ftype == "prefixed" and null_len is not None:
            parts.append(len_st.pack(null_len))
            return
        if v is None and ftype == "lenenc_bytes" and nullable:
            parts.append(b"\xfb")
            return
        raw = _as_bytes(v, f"{ctx.msg}.{name}")
        if ftype == "lenenc_bytes":
            parts.append(write_lenenc(len(raw)))
        elif ftype == "prefixed":
            parts.append(len_st.pack(len(raw)))
        elif ftype == "cstr" and b"\0" in raw:
            raise InterfaceError(f"{ctx.msg}.{name}: value contains a NUL byte")
        parts.append(raw)
        if ftype == "cstr":
            parts.append(b"\0")

    return reader, writer


def _lenenc(f, ctx, path, name):
    nullable = f.get("nullable", False)
    get = _value_getter(f, ctx, path, name, 0)

    def reader(buf, pos, end, out, sc):
        v, pos = read_lenenc(buf, pos, end)
        if pos < 0 or (v is None and not nullable):
            raise ctx.fail(name, "truncated" if pos < 0 else "unexpected NULL marker")
        out[name] = v
        return pos

    def writer(vals, sc, parts):
        parts.append(write_lenenc(int(get(vals, sc))))

    return reader, writer


def _char(f, ctx, path, name):
    """One byte as a one-character str (PostgreSQL error field codes, status bytes)."""
    get = _value_getter(f, ctx, path, name, "\0")

    def reader(buf, pos, end, out, sc):
        if pos >= end:
            raise ctx.fail(name, "truncated")
        out[name] = chr(buf[pos])
        return pos + 1

    def writer(vals, sc, parts):
        parts.append(str(get(vals, sc)).encode("latin-1")[:1])

    return reader, writer


def _pad(f, ctx, path, name):
    n = f["len"]

    def reader(buf, pos, end, out, sc):
        if pos + n > end:
            raise ctx.fail(name, "truncated")
        return pos + n

    def writer(vals, sc, parts):
        parts.append(bytes(n))

    return reader, writer


def _const(f, ctx, path, name):
    r, w = _int_field({**f, "type": f["ctype"], "value": f["value"]}, ctx, path, name)
    want = f["value"]

    def reader(buf, pos, end, out, sc):
        tmp: dict = {}
        pos = r(buf, pos, end, tmp, sc)
        if tmp[name] != want:
            raise ctx.fail(name, f"expected {want}, got {tmp[name]}")
        return pos

    def writer(vals, sc, parts):
        w({}, sc, parts)

    return reader, writer


def _group(f, ctx, path, name):
    readers, writers = _compile_fields(f["fields"], ctx, f"{path}/fields")

    def reader(buf, pos, end, out, sc):
        return _run(readers, buf, pos, end, out, sc)

    def writer(vals, sc, parts):
        for w in writers:
            w(vals, sc, parts)

    return reader, writer


def _let(f, ctx, path, name):
    expr = ctx.compile_at(f["expr"], f"{path}/expr")

    def reader(buf, pos, end, out, sc):
        out[name] = expr(sc)
        return pos

    def writer(vals, sc, parts):
        vals.setdefault(name, expr(sc))

    return reader, writer


def _item_codec(f, ctx, path, name):
    """An item of a repeat/map: a scalar type name or a list of fields (-> dict)."""
    item = f.get("item")
    if isinstance(item, str):
        spec = {"type": item, "name": "v", "text": f.get("text", "utf-8")}
        if item == "cstr":
            spec["max"] = f.get("item_max", 1 << 20)
        r, w = _BUILDERS[item](spec, ctx, f"{path}/item", name)

        def read_one(buf, pos, end, sc):
            tmp: dict = {}
            pos = r(buf, pos, end, tmp, sc)
            return tmp[name], pos

        def write_one(value, sc, parts):
            w({name: value}, sc, parts)

        return read_one, write_one
    readers, writers = _compile_fields(f["fields"], ctx, f"{path}/fields")

    def read_fields(buf, pos, end, sc):
        d: dict = {}
        pos = _run(readers, buf, pos, end, d, sc.child(d))
        return d, pos

    def write_fields(value, sc, parts):
        isc = sc.child(value)
        for w in writers:
            w(value, isc, parts)

    return read_fields, write_fields


def _repeat(f, ctx, path, name):
    count = ctx.compile_at(f["count"], f"{path}/count") if "count" in f else None
    until = f.get("until", "end")
    cap = f.get("max", 4096)
    read_one, write_one = _item_codec(f, ctx, path, name)

    def reader(buf, pos, end, out, sc):
        items = []
        n = count(sc) if count else None
        if n is not None and (not isinstance(n, int) or n < 0 or n > cap):
            raise ctx.fail(name, f"bad count {n!r}")
        while True:
            if n is not None:
                if len(items) == n:
                    break
            elif until == "nul":
                if pos >= end:
                    raise ctx.fail(name, "missing list terminator")
                if buf[pos] == 0:
                    pos += 1
                    break
            elif pos >= end:
                break
            if len(items) >= cap:
                raise ctx.fail(name, f"more than {cap} items")
            item, pos = read_one(buf, pos, end, sc)
            items.append(item)
        out[name] = items
        return pos

    get = _value_getter(f, ctx, path, name, [])

    def writer(vals, sc, parts):
        for item in get(vals, sc):
            write_one(item, sc, parts)
        if until == "nul":
            parts.append(b"\0")

    return reader, writer


def _map(f, ctx, path, name):
    until = f.get("until", "end")
    cap = f.get("max", 4096)
    rk, wk = _item_codec({"item": f["key"], "text": "utf-8"}, ctx, f"{path}/key", name)
    rv, wv = _item_codec({"item": f["value"], "text": "utf-8"}, ctx, f"{path}/value", name)

    def reader(buf, pos, end, out, sc):
        d: dict = {}
        while True:
            if until == "nul":
                if pos >= end:
                    raise ctx.fail(name, "missing map terminator")
                if buf[pos] == 0:
                    pos += 1
                    break
            elif pos >= end:
                break
            if len(d) >= cap:
                raise ctx.fail(name, f"more than {cap} entries")
            k, pos = rk(buf, pos, end, sc)
            d[k], pos = rv(buf, pos, end, sc)
        out[name] = d
        return pos

    get = _value_getter(f, ctx, path, name, {})

    def writer(vals, sc, parts):
        for k, v in get(vals, sc).items():
            if v is None:
                continue
            wk(k, sc, parts)
            wv(v, sc, parts)
        if until == "nul":
            parts.append(b"\0")

    return reader, writer


def _switch(f, ctx, path, name):
    on = ctx.compile_at(f["on"], f"{path}/on")
    cases = {}
    for key, case in f["cases"].items():
        readers, _ = _compile_fields(case.get("fields", []), ctx, f"{path}/cases/{key}/fields")
        cases[key] = (case.get("event"), readers)
    default = f.get("default", {})

    def reader(buf, pos, end, out, sc):
        key = on(sc)
        case = cases.get(str(key.decode("latin-1") if isinstance(key, bytes) else key))
        if case is None:
            if "event" in default:
                out["@event"] = default["event"]
                return pos
            raise ctx.fail(name, f"unsupported value {key!r}")
        event, readers = case
        if event:
            out["@event"] = event
        return _run(readers, buf, pos, end, out, sc)

    def writer(vals, sc, parts):
        raise InterfaceError(f"{ctx.msg}: switch fields are decode-only")

    return reader, writer


def _region(f, ctx, path, name):
    readers, writers = _compile_fields(f["fields"], ctx, f"{path}/fields")
    length = _len_expr(f, ctx, path)
    len_type = f.get("len_type")
    if length is None and len_type != "lenenc":
        raise PackError("region needs 'len' or len_type 'lenenc'", where=f"{ctx.path}")

    def reader(buf, pos, end, out, sc):
        if len_type == "lenenc":
            n, pos = read_lenenc(buf, pos, end)
            if pos < 0 or n is None:
                raise ctx.fail(name, "truncated")
        else:
            n = length(sc)
        stop = pos + n
        if not isinstance(n, int) or n < 0 or stop > end:
            raise ctx.fail(name, "truncated")
        if _run(readers, buf, pos, stop, out, sc) != stop:
            raise ctx.fail(name, "region not fully consumed")
        return stop

    def writer(vals, sc, parts):
        inner: list[bytes] = []
        for w in writers:
            w(vals, sc, inner)
        body = b"".join(inner)
        if len_type == "lenenc":
            parts.append(write_lenenc(len(body)))
        parts.append(body)

    return reader, writer


_BUILDERS = {
    **{t: _int_field for t in INT_TYPES},
    "u24": _int_field,
    "char": _char,
    "lenenc": _lenenc,
    "lenenc_bytes": _bytes_like,
    "bytes": _bytes_like,
    "prefixed": _bytes_like,
    "cstr": _bytes_like,
    "rest": _bytes_like,
    "pad": _pad,
    "const": _const,
    "group": _group,
    "let": _let,
    "repeat": _repeat,
    "map": _map,
    "switch": _switch,
    "region": _region,
}

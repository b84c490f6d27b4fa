"""The small expression language of wire packs.

Packs compute lengths, conditions and auth responses with expressions such as
`has(caps, CLIENT_SSL) && cfg.sslmode != 'disable'` or `max(13, nonce_len - 8)`. The
language is closed and side-effect free: literals, names, operators, indexing and calls to
a whitelist of pure helpers or to registered primitives. Each expression is parsed once when
the pack is compiled and becomes a Python closure `f(scope) -> value`, so evaluating it later
costs a few function calls and never touches a parser.

A scope is anything with `lookup(name) -> value` (see `Scope`). Dotted names (`cfg.user`,
`msg.data`, `sasl.verified`) resolve their first part in the scope and the rest as dictionary
keys; a missing key is `null`, which keeps packs short (`msg.plugin ?? 'x'`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from engine.errors import PackError

Fn = Callable[[Any], Any]


class ExprError(Exception):
    """A pack expression does not parse or names something unknown (becomes PackError)."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>0[xX][0-9a-fA-F]+|\d+)
    | (?P<bytes>b'(?:[^'\\]|\\.)*')
    | (?P<str>'(?:[^'\\]|\\.)*')
    | (?P<name>[A-Za-z_@][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<op>\?\?|\|\||&&|==|!=|<=|>=|<<|>>|[-+*<>!&|^?:()\[\],])
    )""",
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", "'": "'", '"': '"'}


def _unescape(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            raise ExprError(f"bad escape \\{nxt}")
    return "".join(out)


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExprError(f"unexpected character at {pos}: {text[pos : pos + 10]!r}")
        pos = m.end()
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "num":
            tokens.append(("lit", int(val, 0)))
        elif kind == "str":
            tokens.append(("lit", _unescape(val[1:-1])))
        elif kind == "bytes":
            tokens.append(("lit", _unescape(val[2:-1]).encode("latin-1")))
        elif kind == "name":
            if val in ("null", "true", "false"):
                tokens.append(("lit", {"null": None, "true": True, "false": False}[val]))
            elif val == "in":
                tokens.append(("op", "in"))
            else:
                tokens.append(("name", val))
        else:
            tokens.append(("op", val))
    tokens.append(("end", None))
    return tokens


# ---- helpers callable from packs (pure, total on their domain, None-tolerant) ----------


def _has(flags, bit):
    return bool(flags is not None and bit is not None and flags & bit)


def _concat(*parts):
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    if isinstance(parts[0], str):
        return "".join(str(p) for p in parts)
    return b"".join(p.encode() if isinstance(p, str) else bytes(p) for p in parts)


def _slice(v, a, b=None):
    return None if v is None else v[a:b]


def _startswith(v, prefix):
    return v is not None and v.startswith(prefix)


def _strip_prefix(v, prefix):
    if v is not None and v.startswith(prefix):
        return v[len(prefix) :]
    return v


def _strip_suffix(v, suffix):
    if v is not None and suffix and v.endswith(suffix):
        return v[: -len(suffix)]
    return v


def _last_int(v):
    """The last whitespace-separated token as an int, else -1 (command tags: 'INSERT 0 5')."""
    if not v:
        return -1
    tail = v.rsplit(None, 1)[-1]
    return int(tail) if tail.isdigit() else -1


def _decode(v, codec="utf-8"):
    if v is None or isinstance(v, str):
        return v
    return bytes(v).decode(codec, "replace")


def _encode(v, codec="utf-8"):
    if v is None or isinstance(v, bytes):
        return v
    return str(v).encode(codec)


HELPERS: dict[str, Callable[..., Any]] = {
    "has": _has,
    "max": max,
    "min": min,
    "len": lambda v: 0 if v is None else len(v),
    "concat": _concat,
    "slice": _slice,
    "startswith": _startswith,
    "strip_prefix": _strip_prefix,
    "strip_suffix": _strip_suffix,
    "last_int": _last_int,
    "decode": _decode,
    "encode": _encode,
    "str": lambda v: None if v is None else str(v),
    "int": lambda v: None if v is None else int(v),
    "lower": lambda v: None if v is None else v.lower(),
    "keys": lambda d: [] if d is None else list(d),
    "dict": lambda *kv: dict(zip(kv[::2], kv[1::2], strict=True)),
}


def _getkey(container, key):
    if container is None:
        return None
    if isinstance(container, dict):
        if key in container:
            return container[key]
        return container.get(str(key))
    if isinstance(container, (list, tuple, bytes, str)) and isinstance(key, int):
        return container[key] if -len(container) <= key < len(container) else None
    raise ExprError(f"cannot index {type(container).__name__}")


def _in(a, b):
    return b is not None and a in b


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "in": _in,
    "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b,
    "&": lambda a, b: a & b,
    "<<": lambda a, b: a << b,
    ">>": lambda a, b: a >> b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}

# Lowest to highest; `??`, `||`, `&&` short-circuit and are handled apart.
_LEVELS = [
    ("==", "!=", "<", "<=", ">", ">=", "in"),
    ("|",),
    ("^",),
    ("&",),
    ("<<", ">>"),
    ("+", "-"),
    ("*",),
]


class _Parser:
    def __init__(self, text: str, constants: dict[str, Any], resolve_call) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.constants = constants
        self.resolve_call = resolve_call

    def peek(self, value=None):
        kind, val = self.toks[self.i]
        if value is None:
            return kind, val
        return kind == "op" and val == value

    def take(self, value: str) -> None:
        if not self.peek(value):
            raise ExprError(f"expected {value!r} but found {self.toks[self.i][1]!r}")
        self.i += 1

    def parse(self) -> Fn:
        fn = self.ternary()
        if self.toks[self.i][0] != "end":
            raise ExprError(f"unexpected {self.toks[self.i][1]!r}")
        return fn

    def ternary(self) -> Fn:
        cond = self.coalesce()
        if self.peek("?"):
            self.i += 1
            a = self.ternary()
            self.take(":")
            b = self.ternary()
            return lambda s: a(s) if cond(s) else b(s)
        return cond

    def coalesce(self) -> Fn:
        left = self.orexpr()
        while self.peek("??"):
            self.i += 1
            right, prev = self.orexpr(), left

            def left(s, prev=prev, right=right):
                v = prev(s)
                return right(s) if v is None else v

        return left

    def orexpr(self) -> Fn:
        left = self.andexpr()
        while self.peek("||"):
            self.i += 1
            right, prev = self.andexpr(), left

            def left(s, prev=prev, right=right):
                return bool(prev(s)) or bool(right(s))

        return left

    def andexpr(self) -> Fn:
        left = self.binary(0)
        while self.peek("&&"):
            self.i += 1
            right, prev = self.binary(0), left

            def left(s, prev=prev, right=right):
                return bool(prev(s)) and bool(right(s))

        return left

    def binary(self, level: int) -> Fn:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            kind, val = self.peek()
            if kind != "op" or val not in _LEVELS[level]:
                return left
            self.i += 1
            right, prev, op = self.binary(level + 1), left, _BINARY[val]
            left = lambda s, prev=prev, right=right, op=op: op(prev(s), right(s))  # noqa: E731

    def unary(self) -> Fn:
        if self.peek("!"):
            self.i += 1
            inner = self.unary()
            return lambda s: not inner(s)
        if self.peek("-"):
            self.i += 1
            inner = self.unary()
            return lambda s: -inner(s)
        return self.postfix()

    def postfix(self) -> Fn:
        fn = self.primary()
        while self.peek("["):
            self.i += 1
            key = self.ternary()
            self.take("]")
            fn = lambda s, base=fn, key=key: _getkey(base(s), key(s))  # noqa: E731
        return fn

    def primary(self) -> Fn:
        kind, val = self.peek()
        self.i += 1
        if kind == "lit":
            return lambda s, v=val: v
        if kind == "op" and val == "(":
            fn = self.ternary()
            self.take(")")
            return fn
        if kind == "op" and val == "[":
            items = []
            while not self.peek("]"):
                items.append(self.ternary())
                if not self.peek("]"):
                    self.take(",")
            self.i += 1
            if all(getattr(f, "_const", False) for f in items):
                frozen = tuple(f(None) for f in items)
                return lambda s: list(frozen)  # a fresh list: scripts append to it
            return lambda s: [f(s) for f in items]
        if kind == "name":
            if self.peek("("):
                return self.call(val)
            return self.name(val)
        raise ExprError(f"unexpected {val!r}")

    def call(self, name: str) -> Fn:
        self.take("(")
        args = []
        while not self.peek(")"):
            args.append(self.ternary())
            if not self.peek(")"):
                self.take(",")
        self.i += 1
        fn = self.resolve_call(name)
        return lambda s: fn(*[a(s) for a in args])

    def name(self, dotted: str) -> Fn:
        if dotted in self.constants:
            value = self.constants[dotted]
            f = lambda s: value  # noqa: E731
            f._const = True
            return f
        head, *rest = dotted.split(".")
        if not rest:
            return lambda s: s.lookup(head)

        def get(s):
            v = s.lookup(head)
            for part in rest:
                v = _getkey(v, part)
            return v

        return get


def _default_resolve(name: str):
    if name in HELPERS:
        return HELPERS[name]
    raise ExprError(f"unknown function {name!r}")


def compile_expr(text: Any, constants: dict[str, Any] | None = None, resolve_call=None) -> Fn:
    """Compile one expression; non-string JSON values (numbers, booleans, null) are literals."""
    if not isinstance(text, str):
        return lambda s: text
    return _Parser(text, constants or {}, resolve_call or _default_resolve).parse()


class Scope:
    """Name lookup for expressions: a chain of dicts, first hit wins, missing is None."""

    __slots__ = ("maps",)

    def __init__(self, *maps: dict[str, Any]) -> None:
        self.maps = maps

    def lookup(self, name: str) -> Any:
        for m in self.maps:
            if name in m:
                return m[name]
        return None

    def child(self, inner: dict[str, Any]) -> Scope:
        return Scope(inner, *self.maps)


def pack_compiler(constants: dict[str, Any], resolve_call, where: str):
    """Return `compile(text, path)` that turns ExprError into PackError naming the path."""

    def compile_at(text: Any, path: str) -> Fn:
        try:
            return compile_expr(text, constants, resolve_call)
        except ExprError as exc:
            raise PackError(f"expression {text!r}: {exc}", where=f"{where}:{path}") from None

    return compile_at

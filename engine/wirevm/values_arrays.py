"""The ``{...}`` array literal of PostgreSQL's text output, decoded to nested lists.

Grammar of what the server sends (array_out): an optional dimension prefix ``[lo:hi]...=``
(dropped: Python lists start at 0, as in psycopg), then ``{`` items separated by the type's
delimiter (``,``; ``;`` for box) ``}``. An item is a nested array, ``NULL``, a bare token, or
a double-quoted string in which a backslash escapes the next byte. Each non-NULL item's bytes
go to the element decoder.

The scanner is iterative (no recursion limit to trip) and linear: it caches the next
delimiter and closing-brace positions instead of searching to the end for every item, the
quadratic trap of naive parsers on long arrays.
"""

from __future__ import annotations

from typing import Any

from engine.errors import PackError
from engine.wirevm.values import Decoder, data_error, factory, resolve

_LBRACE, _RBRACE, _QUOTE, _BACKSLASH = 0x7B, 0x7D, 0x22, 0x5C
_MAX_DEPTH = 32  # PostgreSQL allows 6 dimensions; anything deeper is not server output


@factory("pg_array")
def make_pg_array(element: str | Decoder = "text", delim: str = ",") -> Decoder:
    """Decoder for an array whose items `element` (a decoder name or callable) decodes."""
    item = resolve(element)
    if not isinstance(delim, str) or len(delim) != 1 or delim in '{}"\\':
        raise PackError(f"pg_array decoder: bad delimiter {delim!r}")
    sep = ord(delim)
    sep_b = delim.encode("ascii")

    def decode_array(raw: bytes) -> list[Any]:
        try:
            return _parse(raw, item, sep, sep_b)
        except (IndexError, ValueError, TypeError):
            raise data_error("array", raw) from None

    return decode_array


def _parse(raw: bytes, item: Decoder, sep: int, sep_b: bytes) -> list[Any]:
    start = 0
    if raw[:1] == b"[":
        start = raw.index(b"=") + 1  # ValueError -> DataError
    if raw[start] != _LBRACE:
        raise ValueError("no opening brace")
    n = len(raw)
    root: list[Any] = []
    stack = [root]
    current = root
    i = start + 1
    need_sep = False  # the last thing read was a complete item
    after_sep = False  # the last thing read was a delimiter
    next_sep = next_close = -2  # cached search results; -2 = not searched yet
    while True:
        c = raw[i]  # IndexError on truncation -> DataError
        if need_sep:
            if c == sep:
                need_sep, after_sep = False, True
                i += 1
                continue
            if c != _RBRACE:
                raise ValueError("expected a delimiter")
        if c == _RBRACE:
            if after_sep:
                raise ValueError("empty item")
            stack.pop()
            i += 1
            if not stack:
                break
            current = stack[-1]
            need_sep, after_sep = True, False
            continue
        if c == _LBRACE:
            child: list[Any] = []
            current.append(child)
            stack.append(child)
            if len(stack) > _MAX_DEPTH:
                raise ValueError("too deep")
            current = child
            i += 1
            after_sep = False
            continue
        if c == _QUOTE:
            i, value = _quoted(raw, i + 1)
            current.append(item(value))
        else:
            if next_sep < i and next_sep != -1:
                next_sep = raw.find(sep_b, i)
            if next_close < i:
                next_close = raw.find(b"}", i)
                if next_close < 0:
                    raise ValueError("no closing brace")
            j = next_close if next_sep < 0 or next_close < next_sep else next_sep
            token = raw[i:j]
            if token == b"NULL":
                current.append(None)
            elif not token or _LBRACE in token or _QUOTE in token:
                raise ValueError("bad bare item")
            else:
                current.append(item(token))
            i = j
        need_sep, after_sep = True, False
    if i != n:
        raise ValueError("trailing bytes")
    return root


def _quoted(raw: bytes, i: int) -> tuple[int, bytes]:
    """Read a quoted item starting after its opening quote; return (index after it, bytes)."""
    parts = []
    while True:
        q = raw.index(b'"', i)
        b = raw.find(b"\\", i, q)
        if b < 0:
            parts.append(raw[i:q])
            return q + 1, b"".join(parts)
        parts.append(raw[i:b])
        parts.append(raw[b + 1 : b + 2])
        if b + 2 > len(raw):
            raise ValueError("truncated escape")
        i = b + 2

"""Straight-line row decoders, generated once per (codec style, column signature, frame shape).

Why generate source: the reference codecs in `rowcodecs` loop over the converters for every
value, append to a per-row list, build a tuple from it and check bounds before every read. For
narrow rows that bookkeeping costs more than the converters themselves. A decoder written out
for exactly N columns keeps values in locals ``v0 .. vN-1`` and converters in locals
``c0 .. cN-1``, builds each row with one tuple display, bakes the frame header's offsets into
the text as constants (reading a header and the row's first bytes in one `struct` call when the
layout allows), and inlines the few registered decoders that are one builtin expression
(`INLINE`), as `namedtuple` and `dataclasses` do with `exec`. The generated text is made only
of the style name, column positions, `INLINE` expressions and the framing's integer constants
(all from trusted packs, checked by `source`), never of bytes from the wire.

Why the fast path can skip the per-value bounds checks: it is *optimistic*. Every read only
moves the value cursor forward, so a value that runs past its frame leaves the cursor past the
frame end and the final ``p != stop`` check fails; a read past the buffer raises IndexError or
struct.error. Any exception at all (that check, a converter's or an inlined expression's
error, a bad sequence number) abandons the fast path at the first unfinished frame, writes the
walker state (`resume`, the framer's sequence number) back as it was before that frame, and
hands the rest of the buffer to the reference codec, which raises exactly the error it always
raised, or decodes the rest if it finds nothing wrong. The reference also gets the last word
when the fast loop stops normally (it stops at the same frame, or earlier when a combined read
needs more bytes than the frame has). So a generated decoder returns the same rows, raises the
same errors and leaves the same walker state as the reference, by construction; a converter
only ever sees in-frame bytes in rows that are returned.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from functools import lru_cache

#: Wider rows use the reference loop (source size and compile time grow with the count).
MAX_GENERATED_COLUMNS = 256

_I16 = struct.Struct("!h").unpack_from
_I32 = struct.Struct("!i").unpack_from
_I16_I32 = struct.Struct("!hi").unpack_from
_LENENC_WIDTH = {252: 2, 253: 3, 254: 8}

#: Registered decoders whose work is one builtin expression, inlined into generated decoders.
#: Each expression returns what the decoder returns whenever the decoder succeeds and raises
#: whenever it fails (the reference codec then reproduces the decoder's own DataError); a test
#: checks both over a corpus. `{}` is the value's bytes (always `bytes`: see `rowcodecs`).
INLINE = {
    "int": "int({})",
    "float": "float({})",
    "text": "{}.decode()",
    "json_text": "{}.decode()",
    "bool_tf": "BOOLS[{}]",
    "bytes": "{}",
}
_BOOLS = {b"t": True, b"f": False}

#: The frame-shape constants a generated decoder bakes in (`Walker.shape` supplies them).
SHAPE_KEYS = frozenset(
    ("hs", "len_off", "mask", "adjust", "chunk", "stop_first", "seq", "seq_off", "shift")
    + ("modulo", "word_head", "tag_off", "row_tag", "min_len", "tag_head", "head_names")
)


class Redo(Exception):
    """The fast path saw something unusual: the reference codec takes over from this frame."""


def _lenenc_long(buf, p: int, b: int) -> tuple[int, int]:
    """(start, end) of a value whose length-encoded prefix byte `b` (>= 252) ends at `p`."""
    width = _LENENC_WIDTH.get(b)
    if width is None:
        raise Redo  # 0xFF (0xFB, NULL, is handled inline)
    s = p + width
    return s, s + int.from_bytes(buf[p:s], "little")


def _value(i: int, inline: str | None, raw: str) -> str:
    return f"v{i} = " + (inline.format(raw) if inline else f"c{i}({raw})")


def _plus(n: int) -> str:
    return f" + {n}" if n > 0 else f" - {-n}" if n < 0 else ""


def _masked(name: str, mask: int) -> str:
    return name if mask == -1 else f"({name} & {mask})"


# -- lenenc_columns ------------------------------------------------------------------------


def _lenenc_value(i: int, inline: str | None) -> list[str]:
    # column 0's prefix byte is read with the frame header, and `p` already points past it
    return [
        *(["b = buf[p]", "p += 1"] if i else []),
        "if b < 251:",
        "    " + _value(i, inline, "buf[p : (p := p + b)]"),
        "elif b == 251:",
        f"    v{i} = None",
        "else:",
        "    s, p = lenenc_long(buf, p, b)",
        "    " + _value(i, inline, "buf[s:p]"),
    ]


def _stop_test(stop_first: frozenset) -> str | None:
    """`b >= lo` when the stop bytes are all bytes from `lo` up (cheaper than a set lookup)."""
    if not stop_first:
        return None
    lo = min(stop_first)
    if set(stop_first) == set(range(lo, 256)):
        return f"b >= {lo}"
    return "b in {" + ", ".join(str(b) for b in sorted(stop_first)) + "}"


def _lenenc(sig: tuple, f: dict) -> tuple[list[str], list[str], list[str], str | None]:
    """`f["seq"]`: None (no sequence numbers), "byte" (a header byte of its own) or "word"
    (the top byte of the word holding the length)."""
    hs, seq, head, shift = f["hs"], f["seq"], f["word_head"], f["shift"]
    stop_test = _stop_test(f["stop_first"])
    setup, save = ["len_at = w.len_at"], ["if rows:", "    w.resume = pos"]
    whole = seq == "word" and shift and f["mask"] == (1 << shift) - 1 and not f["adjust"]
    if head and whole and isinstance(f["modulo"], int):
        # One read gives the length word and the first payload byte. `x` is the payload
        # length when the word's top byte is the expected sequence number, and is negative
        # or too big otherwise: one range check covers the length, the continuation chunk
        # and the sequence number (the reference then says which one was wrong).
        bound = f["chunk"] if 0 < f["chunk"] <= f["mask"] else f["mask"] + 1
        breaks = [f"x >= {bound}", "stop > end"] + ([stop_test] if stop_test else [])
        body = ["word, b = head(buf, pos)", "x = word - sw", f"stop = pos + {hs} + x"]
        body += [f"if {' or '.join(breaks)}:", "    break"]
        loop, step = "True", f"sw = (sw + {1 << shift}) % {f['modulo'] << shift}"
        setup.append(f"sw = w.framer.seq << {shift}")
        save.append(f"w.framer.seq = sw >> {shift}")
    else:  # the reference's checks, in its order
        breaks = ["stop > end", "plen <= 0"] + ([f"plen == {f['chunk']}"] if f["chunk"] > 0 else [])
        body = [f"word = len_at(buf, pos + {f['len_off']})[0]"]
        body += [f"plen = {_masked('word', f['mask'])}{_plus(f['adjust'])}"]
        body += [f"stop = pos + {hs} + plen", f"if {' or '.join(breaks)}:", "    break"]
        body.append(f"b = buf[pos + {hs}]")
        body += [f"if {stop_test}:", "    break"] if stop_test else []
        if seq == "word":
            body += [f"if word >> {shift} != seq:", "    raise Redo"]
        elif seq == "byte":
            body += [f"if buf[pos + {f['seq_off']}] != seq:", "    raise Redo"]
        loop, step, head = f"end - pos >= {hs}", f"seq = (seq + 1) % {f['modulo']}", None
        if seq:
            setup.append("seq = w.framer.seq")
            save.append("w.framer.seq = seq")
    body.append(f"p = pos + {hs + 1}")
    for i, inline in enumerate(sig):
        body += _lenenc_value(i, inline)
    body += ["if p != stop:", "    raise Redo", f"append(({_tuple(len(sig))}))", "pos = stop"]
    body += [step] if seq else []
    return setup, [f"while {loop}:", *("    " + s for s in body)], save, head


# -- i16count_i32len_columns ---------------------------------------------------------------


def _i16_value(i: int, inline: str | None) -> list[str]:
    # column 0's length is read with the column count, and `p` already points past it
    return [
        *(["n = i32(buf, p)[0]", "p += 4"] if i else []),
        "if n >= 0:",
        "    " + _value(i, inline, "buf[p : (p := p + n)]"),
        "elif n == -1:",
        f"    v{i} = None",
        "else:",
        "    raise Redo",
    ]


def _i16(sig: tuple, f: dict) -> tuple[list[str], list[str], list[str], str | None]:
    ncols, hs, tag = len(sig), f["hs"], f["row_tag"]
    extra = ["count", "n"] if ncols else ["count"]  # the count and column 0's length
    after = hs + 2 + 4 * bool(ncols)  # where column 0's bytes begin
    head = f["tag_head"] and f["tag_head"] + ("hi" if ncols else "h")
    mask = [f"raw &= {f['mask']}"] if f["mask"] != -1 else []
    min_len = [f"raw < {f['min_len']}"] if f["min_len"] else []
    stop = f"stop = pos + raw{_plus(hs + f['adjust'])}"
    if head:  # header, count and first length in one read; any mismatch: the reference
        body = [f"{', '.join([*f['head_names'], *extra])} = head(buf, pos)", *mask, stop]
        checks = [f"tag != {tag}", f"count != {ncols}", *min_len, "stop > end"]
        body += [f"if {' or '.join(checks)}:", "    break"]
        loop = "True"
    else:  # the reference's checks, in its order
        body = [f"if buf[pos + {f['tag_off']}] != {tag}:", "    break"]
        body += [f"raw = len_at(buf, pos + {f['len_off']})[0]", *mask]
        body += [f"if {min_len[0]}:", "    raise Redo"] if min_len else []
        body += [stop, "if stop > end:", "    break"]
        read = f"i16_i32(buf, pos + {hs})" if ncols else f"(i16(buf, pos + {hs})[0],)"
        body += [f"{', '.join(extra)}, = {read}", f"if count != {ncols}:", "    raise Redo"]
        loop = f"end - pos >= {hs}"
    body.append(f"p = pos + {after}")
    for i, inline in enumerate(sig):
        body += _i16_value(i, inline)
    body += ["if p != stop:", "    raise Redo", f"append(({_tuple(ncols)}))", "pos = stop"]
    setup = ["len_at = w.len_at", "i16, i32, i16_i32 = I16, I32, I16_I32"]
    loop_lines = [f"while {loop}:", *("    " + s for s in body)]
    return setup, loop_lines, ["if rows:", "    w.resume = pos"], head


# -- assembly ------------------------------------------------------------------------------


def _tuple(ncols: int) -> str:
    return "".join(f"v{i}, " for i in range(ncols)).rstrip(" ")


def _wrap(sig: tuple, setup: list[str], loop: list[str], save: list[str]) -> list[str]:
    """The function around the row loop: fast loop, write the walker state back, then let
    the reference codec look at whatever the fast loop stopped at."""
    lines = ["def decode(convs, buf, pos, end, w):"]
    if sig:
        names = "".join("_, " if inline else f"c{i}, " for i, inline in enumerate(sig))
        lines.append(f"    {names.rstrip(' ')} = convs")
    lines += ["    rows = []", "    append = rows.append", "    lenenc_long = LENENC_LONG"]
    lines += ["    " + s for s in setup]
    lines += ["    try:"] + ["        " + s for s in loop]
    lines += ["    except Exception:", "        pass  # the reference codec redoes this frame"]
    lines += ["    " + s for s in save]
    lines += ["    more, pos = reference(convs, buf, pos, end, w)", "    if more:"]
    lines += ["        rows += more", "    return rows, pos"]
    return lines


_STYLES = {"lenenc_columns": _lenenc, "i16count_i32len_columns": _i16}


def _check(sig: tuple, shape: tuple) -> dict:
    """The shape as a dict, after checking that nothing but trusted constants reach the text."""
    if len(sig) > MAX_GENERATED_COLUMNS:
        raise ValueError(f"no generated decoder for {len(sig)} columns")
    inlines = set(INLINE.values())
    if any(s is not None and s not in inlines for s in sig):
        raise ValueError("generated decoders only inline INLINE expressions")
    f = dict(shape)
    if set(f) != SHAPE_KEYS:
        raise ValueError(f"frame shape keys {sorted(f)} are not {sorted(SHAPE_KEYS)}")
    for key, value in f.items():
        if key == "stop_first":
            ok = all(type(b) is int for b in value)
        elif key == "head_names":
            ok = value is None or all(n in ("tag", "raw", "_") for n in value)
        elif key in ("word_head", "tag_head"):
            ok = value is None or (value[:1] in "<>!" and value[1:].isalpha())
        elif key == "seq":
            ok = value in (None, "byte", "word")
        else:
            ok = value is None or type(value) is int
        if not ok:
            raise ValueError(f"bad frame shape constant {key}={value!r}")
    return f


def source(style: str, sig: tuple, shape: tuple) -> tuple[str, str | None]:
    """The generated decoder's source text and the `struct` format its `head` reads (exposed
    for tests and for reading). `sig` holds, per column, an `INLINE` expression or None (call
    the column's converter); `shape` is `Walker.shape`: (name, constant) pairs."""
    setup, loop, save, head = _STYLES[style](sig, _check(sig, shape))
    return "\n".join(_wrap(sig, setup, loop, save)) + "\n", head


@lru_cache(maxsize=1024)
def decoder(style: str, sig: tuple, shape: tuple, reference: Callable) -> Callable:
    """The cached generated decoder for one column signature and frame shape; `reference` is
    the loop codec it hands over to. Same signature and result as `reference`."""
    text, head = source(style, sig, shape)
    namespace = {
        "Redo": Redo,
        "I16": _I16,
        "I32": _I32,
        "I16_I32": _I16_I32,
        "LENENC_LONG": _lenenc_long,
        "BOOLS": _BOOLS,
        "head": head and struct.Struct(head).unpack_from,
        "reference": reference,
    }
    exec(compile(text, f"<rowgen {style} {len(sig)} columns>", "exec"), namespace)
    fn = namespace["decode"]
    fn.__qualname__ = fn.__name__ = f"decode_{style}_{len(sig)}"
    return fn


@lru_cache(maxsize=256)
def for_converters(style: str, convs: tuple, shape: tuple, reference: Callable) -> Callable:
    """The generated decoder for these converters: registered decoders with an `INLINE`
    expression are inlined, any other converter is called."""
    from engine.wirevm.values import DECODERS

    by_decoder = {DECODERS[name]: expr for name, expr in INLINE.items()}
    return decoder(style, tuple(by_decoder.get(c) for c in convs), shape, reference)

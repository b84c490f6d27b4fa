"""Batch row codecs: the hot path that decodes every complete row frame in a buffer at once.

Rows never go through the generic field interpreter. When a result's column metadata is
known, the core builds one converter per column (from the pack's type map) and hands them,
with a snapshot of the receive buffer, to the codec named by the pack's `row_codec.style`.
The codec walks frame after frame in ONE pass with locals bound once, returns all decoded
rows as tuples, and stops at the first frame that is not a row (a terminator, an error, a
continuation chunk) or that is not complete yet; the generic path takes over from there.

Codecs are named by wire *encoding style*, not by database family:
- `lenenc_columns`: each value is a length-encoded string, 0xFB = NULL.
- `i16count_i32len_columns`: an Int16 column count, then Int32 length + bytes, -1 = NULL.

Frame headers are read as the pack's framing says (`Walker` compiles the header layout into
a length reader and byte offsets), and which frames are rows comes from the dispatch table
(`RowFrames`). A converter raising anything other than DataError is wrapped into DataError
with the raw bytes, so hostile data cannot leak a ValueError; on any failure the walker
records where the failing frame ended (`resume`), so the core can stay in sync.

Why code generation: profiles of large results put most of the time in these loops' own
bookkeeping (a struct call per length, a per-row list, a loop over converters, attribute
writes per row), not in the converters. So each public codec dispatches to a straight-line
decoder that `rowgen` generates once per (style, converters, frame shape) and caches: values
in locals, one tuple per row, header offsets baked in as constants, walker state kept in
locals and written back once per batch. The loops below stay as the *reference*: the
generated decoder hands them the first frame it finds unusual (any error, a terminator,
a frame it cannot finish), so errors, `resume` and sequence numbers are theirs, exactly; and
rows wider than `rowgen.MAX_GENERATED_COLUMNS`, or a buffer that is not `bytes`, use them
directly. `tests/engine/test_rowgen.py` checks both against each other.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from engine.errors import DataError, EngineError, ProtocolError
from engine.wirevm import rowgen
from engine.wirevm.fields import INT_TYPES
from engine.wirevm.framing import Framer
from engine.wirevm.rowgen import MAX_GENERATED_COLUMNS

Converter = Callable[[bytes], object]
_CONVERT_ERRORS = (ValueError, TypeError, OverflowError, ArithmeticError, KeyError, EngineError)


@dataclass(frozen=True, slots=True)
class RowFrames:
    """Which frames are rows: tagged framing names the row tag; untagged framing lists the
    first payload bytes that end a run of rows (terminators, errors)."""

    row_tag: int | None = None
    stop_first: frozenset[int] = frozenset()


class Walker:
    """Frame-walking parameters compiled from the framing, plus the sequence counter."""

    def __init__(self, framer: Framer, frames: RowFrames) -> None:
        h = framer.header
        self.framer = framer
        self.hs = h.size
        self.adjust = h.adjust
        self.min_len = h.min_len
        off, ltype = h.offsets[h.len_name], h.types[h.len_name]
        word = ltype == "u24" and h.order == "<" and off + 4 <= h.size
        if word:  # one 4-byte read; the byte after the length is masked off
            self.len_at, self.len_mask = struct.Struct("<I").unpack_from, 0xFFFFFF
        elif ltype == "u24":
            bo = "little" if h.order == "<" else "big"
            self.len_at = lambda b, p: (int.from_bytes(b[p : p + 3], bo),)
            self.len_mask = -1
        else:
            self.len_at, self.len_mask = (
                struct.Struct(h.order + INT_TYPES[ltype][0]).unpack_from,
                -1,
            )
        self.len_off = off
        self.tag_off = h.offsets.get(h.tag) if h.tag else None
        self.seq_off = h.offsets.get(h.seq) if h.seq else None
        self.modulo = framer.spec.seq_modulo
        self.chunk = framer.spec.chunk if framer.spec.chunk is not None else -1
        self.row_tag = frames.row_tag
        self.stop_first = frames.stop_first
        self.resume = 0
        self.shape = self._shape(h, word)

    def _shape(self, h, word: bool) -> tuple:
        """The constants a generated decoder bakes in (see `rowgen`), as hashable pairs:
        `word_head` reads the length word and the first payload byte at once; `tag_head`
        reads a whole header of plain big-endian fields (then the row's first fields)."""
        seq_in_word = word and self.seq_off == self.len_off + 3 and h.types[h.seq] == "u8"
        word_head = (
            "<" + "x" * self.len_off + "IB" if word and self.len_off + 4 == self.hs else None
        )
        plain = h.tag and h.order == ">" and all("#" not in n for n in h.names)
        names = tuple("tag" if n == h.tag else "raw" if n == h.len_name else "_" for n in h.names)
        return _shape(
            self,
            seq=None if self.seq_off is None else "word" if seq_in_word else "byte",
            shift=24 if seq_in_word else None,
            word_head=word_head,
            tag_head=h.struct.format if plain else None,
            head_names=names if plain else None,
        )

    def first_complete(self, buf, pos: int, end: int) -> bool:
        """Is a whole frame available at `pos`? (Cheap check before copying the buffer.)"""
        if end - pos < self.hs:
            return False
        n = (self.len_at(buf, pos + self.len_off)[0] & self.len_mask) + self.adjust
        return n >= 0 and pos + self.hs + n <= end


def _convert_failed(exc: Exception, raw: bytes) -> EngineError:
    if isinstance(exc, EngineError):
        return exc
    return DataError(f"cannot decode a column value: {exc}", raw=bytes(raw[:200]))


def _bad_seq(got: int, want: int) -> ProtocolError:
    return ProtocolError(f"packet sequence number wrong: got {got}, expected {want}")


def _shape(w, **heads) -> tuple:
    return (
        ("hs", w.hs),
        ("len_off", w.len_off),
        ("mask", w.len_mask),
        ("adjust", w.adjust),
        ("chunk", w.chunk),
        ("stop_first", w.stop_first),
        ("seq_off", w.seq_off),
        ("modulo", w.modulo),
        ("tag_off", w.tag_off),
        ("row_tag", w.row_tag),
        ("min_len", w.min_len),
        *heads.items(),
    )


def _generated(style: str, convs, buf, w, loop: Callable) -> Callable:
    """The generated decoder for this batch, or the reference `loop` for anything unusual:
    very wide rows, a buffer that is not `bytes` (inlined expressions assume bytes values)."""
    if len(convs) > MAX_GENERATED_COLUMNS or type(buf) is not bytes:
        return loop
    try:
        return rowgen.for_converters(style, tuple(convs), w.shape, loop)
    except TypeError:  # an unhashable converter
        return loop


def lenenc_columns(convs: list[Converter], buf: bytes, pos: int, end: int, w: Walker):
    """Rows whose values are length-encoded strings (0xFB = NULL). Returns (rows, pos)."""
    fast = _generated("lenenc_columns", convs, buf, w, lenenc_loop)
    return fast(convs, buf, pos, end, w)


def lenenc_loop(convs: list[Converter], buf: bytes, pos: int, end: int, w: Walker):
    """The reference `lenenc_columns`: one loop for any column count, every check explicit."""
    rows = []
    append = rows.append
    from_bytes = int.from_bytes
    hs, len_at, len_off, mask, adjust = w.hs, w.len_at, w.len_off, w.len_mask, w.adjust
    seq_off, modulo, chunk, stop_first = w.seq_off, w.modulo, w.chunk, w.stop_first
    seq = w.framer.seq
    while end - pos >= hs:
        plen = (len_at(buf, pos + len_off)[0] & mask) + adjust
        start = pos + hs
        stop = start + plen
        if stop > end or plen <= 0 or plen == chunk or buf[start] in stop_first:
            break
        if seq_off is not None:
            if buf[pos + seq_off] != seq:
                raise _bad_seq(buf[pos + seq_off], seq)
            seq = (seq + 1) % modulo
        w.resume, w.framer.seq = stop, seq
        p = start
        row = []
        add = row.append
        try:
            for conv in convs:
                b = buf[p]
                if b < 251:
                    p += 1
                    e = p + b
                elif b == 251:
                    add(None)
                    p += 1
                    continue
                elif b == 252:
                    e = p + 3 + from_bytes(buf[p + 1 : p + 3], "little")
                    p += 3
                elif b == 253:
                    e = p + 4 + from_bytes(buf[p + 1 : p + 4], "little")
                    p += 4
                elif b == 254:
                    e = p + 9 + from_bytes(buf[p + 1 : p + 9], "little")
                    p += 9
                else:
                    raise ProtocolError("row: bad length byte 0xff")
                if e > stop:
                    raise ProtocolError("row: truncated value")
                add(conv(buf[p:e]))
                p = e
        except IndexError:
            raise ProtocolError("row: fewer values than columns") from None
        except _CONVERT_ERRORS as exc:
            raise _convert_failed(exc, buf[start:stop]) from None
        if p != stop:
            raise ProtocolError("row: more values than columns" if p < stop else "row: truncated")
        append(tuple(row))
        pos = stop
    return rows, pos


def i16count_i32len_columns(convs: list[Converter], buf: bytes, pos: int, end: int, w: Walker):
    """Rows of an Int16 count then (Int32 length, bytes), -1 = NULL. Returns (rows, pos)."""
    fast = _generated("i16count_i32len_columns", convs, buf, w, i16count_i32len_loop)
    return fast(convs, buf, pos, end, w)


def i16count_i32len_loop(convs: list[Converter], buf: bytes, pos: int, end: int, w: Walker):
    """The reference `i16count_i32len_columns`: one loop for any column count."""
    rows = []
    append = rows.append
    ncols = len(convs)
    i32 = struct.Struct("!i").unpack_from
    i16 = struct.Struct("!h").unpack_from
    hs, len_at, len_off, mask, adjust = w.hs, w.len_at, w.len_off, w.len_mask, w.adjust
    tag_off, row_tag, min_len = w.tag_off, w.row_tag, w.min_len or 0
    while end - pos >= hs:
        if buf[pos + tag_off] != row_tag:
            break
        raw = len_at(buf, pos + len_off)[0] & mask
        if raw < min_len:
            raise ProtocolError(f"frame length {raw} is below {min_len}")
        start = pos + hs
        stop = start + raw + adjust
        if stop > end:
            break
        w.resume = stop
        if stop - start < 2 or i16(buf, start)[0] != ncols:
            raise ProtocolError(f"row: column count does not match the {ncols} described")
        p = start + 2
        row = []
        add = row.append
        try:
            for conv in convs:
                if p + 4 > stop:
                    raise ProtocolError("row: truncated")
                n = i32(buf, p)[0]
                p += 4
                if n < 0:
                    if n != -1:
                        raise ProtocolError(f"row: bad value length {n}")
                    add(None)
                    continue
                e = p + n
                if e > stop:
                    raise ProtocolError("row: truncated value")
                add(conv(buf[p:e]))
                p = e
        except _CONVERT_ERRORS as exc:
            raise _convert_failed(exc, buf[start:stop]) from None
        if p != stop:
            raise ProtocolError("row: trailing bytes after the last column")
        append(tuple(row))
        pos = stop
    return rows, pos


CODECS: dict[str, Callable] = {
    "lenenc_columns": lenenc_columns,
    "i16count_i32len_columns": i16count_i32len_columns,
}


def decode_one(style, convs: list[Converter], payload: bytes) -> tuple:
    """Decode one already-framed row payload (continuation-joined rows take this path)."""
    return _SINGLE[style](convs, payload)


def _one_lenenc(convs: list[Converter], payload: bytes) -> tuple:
    frame = b"\0\0\0\0" + payload  # a header the walker below ignores
    rows, _ = lenenc_columns(convs, frame, 0, len(frame), _Bare(len(payload)))
    if not rows:
        raise ProtocolError("row: malformed")
    return rows[0]


def _one_i16(convs: list[Converter], payload: bytes) -> tuple:
    frame = b"\0\0\0\0\0" + payload
    rows, _ = i16count_i32len_columns(convs, frame, 0, len(frame), _Bare(len(payload), tagged=True))
    if not rows:
        raise ProtocolError("row: malformed")
    return rows[0]


class _Bare:
    """Walker stand-in for one payload behind a dummy header: fixed length, no sequence."""

    def __init__(self, n: int, tagged: bool = False) -> None:
        self.hs = 5 if tagged else 4
        self.len_off, self.len_mask, self.adjust, self.min_len = 0, -1, 0, None
        self.seq_off, self.modulo, self.chunk, self.stop_first = None, None, -1, frozenset()
        self.tag_off, self.row_tag = (4, 0) if tagged else (None, None)
        self.framer, self.resume, self._n = self, 0, n
        self.seq = 0
        self.shape = _shape(
            self, seq=None, shift=None, word_head=None, tag_head=None, head_names=None
        )

    def len_at(self, buf, pos):
        return (self._n,)


_SINGLE = {lenenc_columns: _one_lenenc, i16count_i32len_columns: _one_i16}

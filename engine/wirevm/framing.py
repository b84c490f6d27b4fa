"""Frames: cutting the byte stream into logical messages, and wrapping outgoing payloads.

The pack's `framing` section says what a frame header holds (a tag byte, a length, a
sequence number), how the length relates to the payload (`adjust`), whether sequence
numbers are checked, and whether payloads of exactly `continuation.chunk` bytes continue in
the next frame. Those four facts are enough for both protocols this engine speaks, so the
framer has no idea which one it is framing.

`FrameSpec` is compiled once per pack; `Framer` carries one connection's sequence counter.
Reassembly keeps a list of chunks and joins once (a `bytes +=` loop is quadratic).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from engine.errors import ProtocolError
from engine.wirevm.fields import INT_TYPES

HeaderReader = Callable[[bytes | bytearray, int], tuple[int | None, int, int | None]]


class _Header:
    """A compiled header layout: size, a reader -> (tag, length field, seq) and a writer."""

    def __init__(
        self, fields: list[dict], length: dict, endian: str, tag: str | None, seq: str | None
    ) -> None:
        order = "<" if endian == "le" else ">"
        fmt, names = order, []
        self.order, self.offsets, self.types = order, {}, {}
        offset = 0
        for f in fields:
            self.offsets[f["name"]] = offset
            self.types[f["name"]] = f["type"]
            offset += 3 if f["type"] == "u24" else INT_TYPES[f["type"]][1]
            if f["type"] == "u24":  # no struct code: read as 2 + 1 bytes, recombined below
                fmt += "HB" if order == "<" else "BH"
                names += [f["name"] + "#a", f["name"] + "#b"]
            else:
                fmt += INT_TYPES[f["type"]][0]
                names.append(f["name"])
        self.struct = struct.Struct(fmt)
        self.size = self.struct.size
        self.names = names
        self.len_name = length["field"]
        self.adjust = int(length.get("adjust", 0))
        self.min_len = length.get("min")
        self.tag, self.seq = tag, seq
        self.read = self._build_reader(order)

    def _build_reader(self, order: str) -> HeaderReader:
        unpack = self.struct.unpack_from
        idx = {n: i for i, n in enumerate(self.names)}
        ln, adjust, min_len = self.len_name, self.adjust, self.min_len
        if ln + "#a" in idx:
            a, b = idx[ln + "#a"], idx[ln + "#b"]
            lo, hi = (a, b) if order == "<" else (b, a)

            def length_of(v):
                return v[lo] | v[hi] << 16
        else:
            li = idx[ln]

            def length_of(v):
                return v[li]

        ti = idx.get(self.tag) if self.tag else None
        si = idx.get(self.seq) if self.seq else None

        def read(buf, pos):
            v = unpack(buf, pos)
            raw = length_of(v)
            if min_len is not None and raw < min_len:
                raise ProtocolError(f"frame length {raw} is below {min_len}")
            return (None if ti is None else v[ti]), raw + adjust, (None if si is None else v[si])

        return read

    def pack(self, tag: int | None, payload_len: int, seq: int | None) -> bytes:
        vals = []
        raw_len = payload_len - self.adjust
        for n in self.names:
            base = n.split("#")[0]
            if base == self.len_name:
                if n.endswith("#a") or n.endswith("#b"):
                    lo_first = self.struct.format.startswith("<")
                    low = n.endswith("#a") == lo_first
                    vals.append(raw_len & 0xFFFF if low else raw_len >> 16)
                else:
                    vals.append(raw_len)
            elif base == self.tag:
                vals.append(tag)
            elif base == self.seq:
                vals.append(seq)
            else:
                vals.append(0)
        return self.struct.pack(*vals)


class FrameSpec:
    """The pack's framing section, compiled."""

    def __init__(self, spec: dict, endian: str) -> None:
        tag = spec.get("tag")
        seq = spec.get("sequence", {}).get("field")
        self.header = _Header(spec["header"], spec["length"], endian, tag, seq)
        untagged = spec.get("untagged")
        self.untagged = (
            _Header(untagged["header"], untagged["length"], endian, None, None)
            if untagged
            else None
        )
        self.tagged = tag is not None
        self.seq_modulo = spec.get("sequence", {}).get("modulo") if seq else None
        self.chunk = spec.get("continuation", {}).get("chunk")
        self.max_payload_expr = spec.get("max_payload")


class Framer:
    """Per-connection framing state: the sequence counter and the size cap."""

    def __init__(self, spec: FrameSpec, max_payload: int) -> None:
        self.spec = spec
        self.header = spec.header
        self.max_payload = max_payload
        self.seq = 0
        self.need = 0  # bytes the next frame needs (from its start); skips work until there

    def reset_sequence(self) -> None:
        self.seq = 0

    def peek(self, buf: bytes | bytearray, pos: int, end: int):
        """(tag, first payload byte or None, payload length) of the next frame, or None when
        its header is incomplete. Used by dispatch without consuming the frame."""
        h = self.header
        if end - pos < h.size:
            return None
        tag, plen, _ = h.read(buf, pos)
        first = buf[pos + h.size] if plen > 0 and end > pos + h.size else None
        return tag, first, plen

    def take(self, buf: bytes | bytearray, pos: int, end: int):
        """Cut one logical message: (tag, payload bytes, new pos), or None if incomplete."""
        h, chunk, modulo = self.header, self.spec.chunk, self.spec.seq_modulo
        seq, parts, total, tag = self.seq, [], 0, None
        while True:
            if end - pos < h.size:
                self.need = h.size
                return None
            ftag, plen, fseq = h.read(buf, pos)
            if plen < 0:
                raise ProtocolError(f"negative frame length {plen}")
            if tag is None:
                tag = ftag
            total += plen
            if total > self.max_payload:
                raise ProtocolError(f"message of {total} bytes exceeds the cap {self.max_payload}")
            start = pos + h.size
            if end - start < plen:
                self.need = h.size + plen
                return None
            if modulo is not None:
                if fseq != seq:
                    raise ProtocolError(f"packet sequence number wrong: got {fseq}, expected {seq}")
                seq = (seq + 1) % modulo
            parts.append(bytes(buf[start : start + plen]))
            pos = start + plen
            if chunk is None or plen != chunk:
                break
        self.seq = seq
        self.need = 0
        return tag, parts[0] if len(parts) == 1 else b"".join(parts), pos

    def frame(self, payload: bytes, tag: int | None = None, untagged: bool = False) -> bytes:
        """Wrap an outgoing payload, splitting it into continuation chunks where declared."""
        if untagged:
            return self.spec.untagged.pack(None, len(payload), None) + payload
        h, chunk, modulo = self.header, self.spec.chunk, self.spec.seq_modulo
        if chunk is None:
            return h.pack(tag, len(payload), None) + payload
        out, pos = [], 0
        while True:
            piece = payload[pos : pos + chunk]
            out.append(h.pack(tag, len(piece), self.seq))
            out.append(piece)
            if modulo is not None:
                self.seq = (self.seq + 1) % modulo
            pos += len(piece)
            if len(piece) < chunk:
                break
        return b"".join(out)

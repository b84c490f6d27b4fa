"""Generated row decoders (`rowgen`) against the reference loop codecs they stand in for.

Every case runs the public codec (which picks the generated decoder) and the reference loop
on the same bytes and compares the whole outcome: rows, end position, `resume`, the framer's
sequence number, or the error's type, message and raw bytes. Frames come from `wirebuild`
(written from the protocol documents, not from the packs), and expected rows are also checked
against plain Python values, so a bug shared by both codecs still shows. Deterministic: the
differential cases use a seeded RNG.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from decimal import Decimal

import pytest

from engine.errors import DataError, ProtocolError
from engine.wirevm import rowcodecs, rowgen
from engine.wirevm.framing import Framer
from engine.wirevm.packs import load_pack
from engine.wirevm.values import DECODERS
from tests.engine import wirebuild as wb

# (converter, valid wire bytes for value i, the Python value expected back)
KINDS = [
    (DECODERS["int"], lambda i: str(i * 7919 - 50).encode(), lambda i: i * 7919 - 50),
    (DECODERS["text"], lambda i: f"hé-{i}".encode(), lambda i: f"hé-{i}"),
    (DECODERS["float"], lambda i: f"{i}.25".encode(), lambda i: i + 0.25),
    (
        DECODERS["bytes"],
        lambda i: bytes([i % 256, 0xFB, 0xFF]),
        lambda i: bytes([i % 256, 251, 255]),
    ),
    (DECODERS["decimal"], lambda i: f"{i}.5".encode(), lambda i: Decimal(f"{i}.5")),  # not inlined
    (DECODERS["bool_tf"], lambda i: b"tf"[i % 2 : i % 2 + 1], lambda i: i % 2 == 0),
]


@dataclass
class Style:
    name: str
    codec: object
    loop: object
    pack: str
    seq0: int

    def walker(self) -> rowcodecs.Walker:
        pack = load_pack(self.pack)
        framer = Framer(pack.framing, 1 << 30)
        framer.seq = self.seq0
        return rowcodecs.Walker(framer, pack.dispatch.row_frames("rows"))

    def frame(self, body_values, seq: int) -> bytes:
        if self.name == "lenenc_columns":
            return wb.packet(wb.text_row(body_values), seq)
        return wb.data_row(body_values)

    def end_frame(self, seq: int) -> bytes:
        if self.name == "lenenc_columns":
            return wb.packet(wb.ok(header=0xFE), seq)
        return wb.command_complete("SELECT 1")


MYSQL = Style(
    "lenenc_columns", rowcodecs.lenenc_columns, rowcodecs.lenenc_loop, "mysql.wire.json", 250
)
PG = Style(
    "i16count_i32len_columns",
    rowcodecs.i16count_i32len_columns,
    rowcodecs.i16count_i32len_loop,
    "postgres.wire.json",
    0,
)
STYLES = [MYSQL, PG]


def convs_for(ncols: int) -> list:
    return [KINDS[i % len(KINDS)][0] for i in range(ncols)]


def row_values(ncols: int, r: int, nulls=()) -> tuple[list, tuple]:
    """(wire values, expected Python row) for row `r`; `nulls` are NULL column indexes."""
    wire, want = [], []
    for i in range(ncols):
        _, raw, py = KINDS[i % len(KINDS)]
        if i in nulls:
            wire.append(None)
            want.append(None)
        else:
            wire.append(raw(r * 31 + i))
            want.append(py(r * 31 + i))
    return wire, tuple(want)


def stream(style: Style, bodies: list) -> bytes:
    """Row frames for `bodies` (lists of wire values or ready payload bytes), then the end."""
    out, seq = [], style.seq0
    for body in bodies:
        if isinstance(body, bytes):
            out.append(raw_frame(style, body, seq))
        else:
            out.append(style.frame(body, seq))
        seq += 1
    out.append(style.end_frame(seq))
    return b"".join(out)


def raw_frame(style: Style, payload: bytes, seq: int) -> bytes:
    if style.name == "lenenc_columns":
        return len(payload).to_bytes(3, "little") + bytes([seq % 256]) + payload
    return b"D" + struct.pack("!i", len(payload) + 4) + payload


def outcome(codec, convs, buf: bytes, style: Style, end: int | None = None):
    w = style.walker()
    try:
        rows, pos = codec(convs, buf, 0, len(buf) if end is None else end, w)
    except (DataError, ProtocolError) as exc:
        return ("error", type(exc), str(exc), getattr(exc, "raw", None), w.resume, w.framer.seq)
    return ("rows", rows, pos, w.resume, w.framer.seq)


def same_as_reference(style: Style, convs, buf: bytes, end: int | None = None):
    got = outcome(style.codec, convs, buf, style, end)
    assert got == outcome(style.loop, convs, buf, style, end)
    return got


def uses_generated(style: Style, convs, buf: bytes) -> bool:
    loop = style.loop
    return rowcodecs._generated(style.name, convs, buf, style.walker(), loop) is not loop


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
@pytest.mark.parametrize("ncols", [0, 1, 2, 7, 40])
def test_null_in_every_position_and_every_count(style, ncols):
    convs = convs_for(ncols)
    cases = [(), *((k,) for k in range(ncols)), tuple(range(ncols))]
    bodies, want = [], []
    for r, nulls in enumerate(cases):
        wire, py = row_values(ncols, r, nulls)
        bodies.append(wire)
        want.append(py)
    buf = stream(style, bodies)
    assert uses_generated(style, convs, buf)
    got = same_as_reference(style, convs, buf)
    if style is MYSQL and ncols == 0:  # an empty MySQL payload is not a row: nothing decoded
        assert got[0] == "rows" and got[1] == []
        return
    assert got[0] == "rows"
    assert got[1] == want
    assert got[2] == len(buf) - len(style.end_frame(0))  # stopped at the terminator
    assert got[3] == got[2]  # resume: end of the last row frame
    if style is MYSQL:
        assert got[4] == (style.seq0 + len(cases)) % 256  # sequence wrapped past 255


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_long_values_use_every_length_form(style):
    convs = [DECODERS["bytes"], DECODERS["text"], DECODERS["bytes"]]
    big = [b"x" * 250, "ü" * 200, b"y" * 70_000]  # lenenc 0xfc and 0xfd forms in MySQL
    buf = stream(style, [big, [b"", None, b"z" * 251]])
    got = same_as_reference(style, convs, buf)
    assert got[0] == "rows"
    assert got[1] == [(b"x" * 250, "ü" * 200, b"y" * 70_000), (b"", None, b"z" * 251)]


def lenenc_payload(values) -> bytes:
    return wb.text_row(values)


def pg_payload(values, count: int | None = None) -> bytes:
    return (
        wb.data_row(values)[5:]
        if count is None
        else struct.pack("!h", count) + wb.data_row(values)[7:]
    )


def broken_payloads(style: Style, ncols: int, k: int) -> dict[str, bytes]:
    """Payloads that are wrong at column `k` and must raise ProtocolError (table of cases)."""
    wire, _ = row_values(ncols, 5)
    values = [v if v is not None else b"" for v in wire]
    cases = {}
    if style is MYSQL:
        good = lenenc_payload(values)
        offs, p = [], 0
        for v in values:
            offs.append(p)
            p += 1 + len(v)
        o = offs[k]
        cases["runs past the frame"] = good[:o] + bytes([250]) + good[o + 1 :]
        if k:  # a payload starting with 0xff is an error packet, not a row: the core's job
            cases["0xff length byte"] = good[:o] + b"\xff" + good[o + 1 :]
        cases["2-byte length past the frame"] = good[:o] + b"\xfc\xff\x7f" + good[o + 1 :]
        cases["frame cut inside value"] = good[: offs[k] + len(values[k])] if values[k] else None
        if k:  # an empty payload is not a row either
            cases["fewer values than columns"] = lenenc_payload(values[:k])
        cases["one value more"] = good + lenenc_payload([b"1"])
    else:
        good = pg_payload(values)
        offs, p = [], 2
        for v in values:
            offs.append(p)
            p += 4 + len(v)
        o = offs[k]
        for name, n in (("runs past the frame", 10_000), ("bad negative length", -2)):
            cases[name] = good[:o] + struct.pack("!i", n) + good[o + 4 :]
        cases["huge length"] = good[:o] + struct.pack("!i", 0x7FFFFFFF) + good[o + 4 :]
        cases["frame cut inside value"] = good[: o + 4 + len(values[k]) - 1]
        cases["frame cut inside length"] = good[: o + 2]
        cases["fewer values than counted"] = pg_payload(values[:k], count=ncols)
        cases["one value more"] = good + struct.pack("!i", 1) + b"1"
        cases["count too small"] = pg_payload(values, count=ncols - 1)
    return {name: payload for name, payload in cases.items() if payload is not None}


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
@pytest.mark.parametrize("ncols", [1, 2, 7])
def test_broken_value_at_every_position_raises_protocol_error(style, ncols):
    convs = convs_for(ncols)
    checked = 0
    for k in range(ncols):
        for name, payload in broken_payloads(style, ncols, k).items():
            good1, _ = row_values(ncols, 1)
            good2, _ = row_values(ncols, 2)
            buf = stream(style, [good1, good1, payload, good2])
            got = same_as_reference(style, convs, buf)
            assert got[0] == "error", (k, name, got)
            assert got[1] is ProtocolError, (k, name, got)
            checked += 1
    assert checked >= ncols * 4


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_every_split_point_matches_the_reference(style):
    convs = convs_for(7)
    bodies, want = [], []
    for r, nulls in enumerate([(), (0,), (6,), (2, 3)]):
        wire, py = row_values(7, r, nulls)
        bodies.append(wire)
        want.append(py)
    bodies.append([b"1", "w" * 300, b"2.5", b"b", b"9", b"t", b"3"])
    want.append((1, "w" * 300, 2.5, b"b", Decimal(9), True, 3))
    buf = stream(style, bodies)
    ends, pos = [], 0
    for body in bodies:
        pos += len(style.frame(body, 0))
        ends.append(pos)
    for end in range(len(buf) + 1):
        got = same_as_reference(style, convs, buf, end)
        complete = sum(1 for e in ends if e <= end)
        assert got[0] == "rows"
        assert got[1] == want[:complete], end
        assert got[2] == (ends[complete - 1] if complete else 0)


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_converter_error_keeps_resume_and_sequence(style):
    convs = convs_for(3)
    good, _ = row_values(3, 1)
    bad = [b"12x", good[1], good[2]]
    buf = stream(style, [good, good, bad, good])
    got = same_as_reference(style, convs, buf)
    assert got[0] == "error" and got[1] is DataError
    assert got[3] == b"12x"  # the int decoder's own error, raw bytes included
    third_end = sum(len(style.frame(b, 0)) for b in (good, good, bad))
    assert got[4] == third_end  # resume: end of the failing frame, so the core stays in sync
    if style is MYSQL:
        assert got[5] == (style.seq0 + 3) % 256


def test_sequence_mismatch_is_reported_like_the_reference():
    convs = convs_for(2)
    good, _ = row_values(2, 1)
    frames = [MYSQL.frame(good, MYSQL.seq0), MYSQL.frame(good, MYSQL.seq0 + 1)]
    frames.append(MYSQL.frame(good, MYSQL.seq0 + 3))  # one sequence number skipped
    buf = b"".join(frames) + MYSQL.end_frame(MYSQL.seq0 + 4)
    got = same_as_reference(MYSQL, convs, buf)
    assert got[0] == "error" and got[1] is ProtocolError and "sequence" in got[2]
    assert got[5] == MYSQL.seq0 + 2  # the two good rows were counted


def test_continuation_chunk_is_left_to_the_generic_path():
    convs = convs_for(1)
    good, want = row_values(1, 1)
    chunk = b"\xff\xff\xff" + bytes([(MYSQL.seq0 + 1) % 256]) + b"\x01" * 0xFFFFFF
    buf = MYSQL.frame(good, MYSQL.seq0) + chunk
    got = same_as_reference(MYSQL, convs, buf)
    assert got[0] == "rows" and got[1] == [want] and got[2] == len(MYSQL.frame(good, 0))


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_wide_rows_take_the_reference_loop(style):
    ncols = rowgen.MAX_GENERATED_COLUMNS + 1
    convs = convs_for(ncols)
    wire, want = row_values(ncols, 3, nulls=(0, ncols - 1))
    buf = stream(style, [wire])
    assert not uses_generated(style, convs, buf)
    got = same_as_reference(style, convs, buf)
    assert got[1] == [want]


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_decode_one_payload(style):
    convs = convs_for(7)
    wire, want = row_values(7, 4, nulls=(3,))
    payload = lenenc_payload(wire) if style is MYSQL else pg_payload(wire)
    assert rowcodecs.decode_one(style.codec, convs, payload) == want
    with pytest.raises(ProtocolError):
        rowcodecs.decode_one(style.codec, convs, payload[:-1])


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_mutated_streams_match_the_reference(style):
    """Seeded differential check: flipped, dropped and inserted bytes anywhere in a stream."""
    rng = random.Random(20240611)
    outcomes = set()
    for _ in range(1500):
        ncols = rng.choice([1, 2, 3, 7])
        convs = convs_for(ncols)
        bodies = [
            row_values(ncols, r, {rng.randrange(ncols)} if r % 2 else ())[0] for r in range(4)
        ]
        buf = bytearray(stream(style, bodies))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(buf))
            op = rng.randrange(3)
            if op == 0:
                buf[at] = rng.randrange(256)
            elif op == 1:
                del buf[at]
            else:
                buf.insert(at, rng.choice([0, 1, 0xFB, 0xFC, 0xFE, 0xFF, rng.randrange(256)]))
        got = same_as_reference(style, convs, bytes(buf))
        outcomes.add(got[0] if got[0] == "rows" else got[1].__name__)
    assert outcomes >= {"rows", "ProtocolError"}  # the mutations reached both kinds of result


INLINE_CORPUS = [
    b"0", b"-12", b"+7", b" 42 ", b"1_000", b"12x", b"", b"1.5", b"-0.0", b"1e3", b"nan",
    b"Infinity", b"-inf", b"t", b"f", b"true", b"T", b"h\xc3\xa9", b"\xc3", b"\xff\xfe",
    b"\x00", b"9" * 5000, b"\xef\xbb\xbfx",
]  # fmt: skip


@pytest.mark.parametrize("name", sorted(rowgen.INLINE))
def test_inline_expressions_behave_like_their_decoders(name):
    """Same value (and type) whenever the decoder succeeds, an exception whenever it fails:
    the condition for inlining (the reference codec then raises the decoder's own error)."""
    decoder = DECODERS[name]
    expr = eval("lambda raw: " + rowgen.INLINE[name].format("raw"), {"BOOLS": rowgen._BOOLS})
    agreed = failed = 0
    for raw in INLINE_CORPUS:
        try:
            want = decoder(raw)
        except DataError:
            with pytest.raises(Exception):  # noqa: B017 - any error hands over to the reference
                expr(raw)
            failed += 1
            continue
        got = expr(raw)
        assert type(got) is type(want) and (got == want or got != got), (name, raw)
        agreed += 1
    assert agreed and (failed or name == "bytes")


def test_generated_source_takes_only_trusted_constants():
    shape = MYSQL.walker().shape
    text, head = rowgen.source("lenenc_columns", ("int({})", None), shape)
    compile(text, "<test>", "exec")
    assert head == "<IB"
    with pytest.raises(ValueError):
        rowgen.source("lenenc_columns", ("__import__('os')",), shape)
    bad = tuple((k, "1; x" if k == "hs" else v) for k, v in shape)
    with pytest.raises(ValueError):
        rowgen.source("lenenc_columns", (None,), bad)
    with pytest.raises(ValueError):
        rowgen.source("lenenc_columns", (None,) * (rowgen.MAX_GENERATED_COLUMNS + 1), shape)

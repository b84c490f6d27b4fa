"""Text-protocol value decoders, looked up by name from the packs' type maps.

A pack's type map turns column metadata (a MySQL type code and charset, a PostgreSQL OID) into
a decoder *name*; the core resolves each name once per result with `decoder_factory` and the
row codec then calls one plain function per field. So the registry is keyed by what a decoder
parses (``int``, ``timestamptz``, ``pg_array`` = the ``{...}`` array literal syntax), never by
database family, and the hot path is a single call on the field's ``bytes``.

Every decoder takes the raw bytes of one non-NULL field and returns what psycopg 3 or PyMySQL
return by default for that type. Malformed input raises `engine.errors.DataError` carrying the
raw bytes; no ValueError, IndexError or UnicodeDecodeError escapes.

Deliberate differences from the oracles are listed in `DIFFERENCES`.
"""

from __future__ import annotations

import codecs
import inspect
import json
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import DataError, PackError

Decoder = Callable[[bytes], Any]

#: name -> decoder for the decoders that need no parameters (or use their defaults).
DECODERS: dict[str, Decoder] = {}
#: name -> factory(**params) -> decoder, for parameterised decoders.
FACTORIES: dict[str, Callable[..., Decoder]] = {}

DIFFERENCES = {
    "timestamptz": "psycopg converts to the session TimeZone (a ZoneInfo); the default "
    "decoder keeps the server's fixed offset (same instant, compares equal). "
    "decoder_factory('timestamptz', tz='Area/City') converts like psycopg.",
    "interval": "psycopg computes the seconds fraction through float; ours is exact "
    "(identical for the 6 digits PostgreSQL sends).",
    "mysql_time": "PyMySQL returns the raw str when a TIME does not parse; ours raises "
    "DataError (the server never sends such a value).",
    "date/datetime": "PyMySQL returns str for any unparsable value; ours returns str only for "
    "MySQL's zero/invalid dates of the exact YYYY-MM-DD[ hh:mm:ss[.f]] shape and raises "
    "DataError (as psycopg does) for infinity, BC dates, years > 9999 and garbage.",
    "text": "PyMySQL lets UnicodeDecodeError escape on bad bytes; ours raises DataError.",
}


def decoder(name: str) -> Callable[[Decoder], Decoder]:
    """Register a parameterless decoder under `name`."""

    def register(fn: Decoder) -> Decoder:
        if name in DECODERS:
            raise PackError(f"value decoder {name!r} registered twice")
        DECODERS[name] = fn
        return fn

    return register


def factory(name: str) -> Callable[[Callable[..., Decoder]], Callable[..., Decoder]]:
    """Register a decoder factory under `name`; its keyword arguments are the parameters."""

    def register(fn: Callable[..., Decoder]) -> Callable[..., Decoder]:
        if name in FACTORIES:
            raise PackError(f"value decoder factory {name!r} registered twice")
        FACTORIES[name] = fn
        return fn

    return register


def decoder_factory(name: str, **params: Any) -> Decoder:
    """The decoder a type map names, built with `params` (e.g. text encoding, array element).

    Unknown names and unknown or missing parameters are pack errors, raised at load time.
    """
    make = FACTORIES.get(name)
    if make is not None:
        try:
            inspect.signature(make).bind(**params)
        except TypeError as exc:
            raise PackError(f"value decoder {name!r}: {exc}") from None
        return make(**params)
    if params:
        raise PackError(f"value decoder {name!r} takes no parameters")
    try:
        return DECODERS[name]
    except KeyError:
        raise PackError(f"unknown value decoder {name!r}") from None


def resolve(spec: str | Decoder) -> Decoder:
    """A decoder given by name or already built (used for array elements)."""
    if callable(spec):
        return spec
    if isinstance(spec, str):
        return decoder_factory(spec)
    raise PackError(f"a value decoder must be a name, not {type(spec).__name__}")


def data_error(kind: str, raw: bytes, why: str = "") -> DataError:
    """The one way decoders fail: names the type, shows a short preview, keeps the raw bytes."""
    preview = bytes(raw[:60]).decode("utf-8", "replace")
    more = "..." if len(raw) > 60 else ""
    tail = f": {why}" if why else ""
    return DataError(f"can't decode {kind} from {preview!r}{more}{tail}", raw=bytes(raw))


# -- numbers ---------------------------------------------------------------------------------


@decoder("int")
def decode_int(raw: bytes) -> int:
    try:
        return int(raw)
    except (ValueError, TypeError):
        raise data_error("int", raw) from None


@decoder("float")
def decode_float(raw: bytes) -> float:
    """float() already reads NaN, Infinity and -Infinity."""
    try:
        return float(raw)
    except (ValueError, TypeError):
        raise data_error("float", raw) from None


@decoder("decimal")
def decode_decimal(raw: bytes) -> Decimal:
    """Decimal, including NaN and (PostgreSQL 14+) Infinity / -Infinity."""
    try:
        return Decimal(raw.decode("ascii"))
    except (InvalidOperation, ValueError, AttributeError):
        raise data_error("decimal", raw) from None


# -- bytes and text --------------------------------------------------------------------------

DECODERS["bytes"] = bytes  # exact bytes pass through without a copy
DECODERS["bit_bytes"] = bytes  # MySQL BIT: PyMySQL returns the raw big-endian bytes


@factory("text")
def make_text(encoding: str = "utf-8", errors: str = "strict") -> Decoder:
    """str in `encoding` (a Python codec name: the pack maps server charset names to it)."""
    try:
        codec = codecs.lookup(encoding).name
        codecs.lookup_error(errors)
    except LookupError:
        raise PackError(f"text decoder: unknown encoding or error handler {encoding!r}") from None
    if codec == "utf-8" and errors == "strict" and _UTF8_TEXT:
        # one shared decoder: `rowgen` inlines the registered one (`bytes.decode()`), which
        # it recognises by identity, so a type map's "text" must not be a fresh copy
        return _UTF8_TEXT[0]

    def decode_text(raw: bytes) -> str:
        try:
            return raw.decode(codec, errors)
        except (UnicodeDecodeError, AttributeError):
            raise data_error(f"{codec} text", raw) from None

    return decode_text


_UTF8_TEXT: list[Decoder] = []
DECODERS["text"] = make_text()
_UTF8_TEXT.append(DECODERS["text"])
#: MySQL JSON: both PyMySQL and mysql-connector return the document as str.
DECODERS["json_text"] = make_text()

_BOOLS = {b"t": True, b"f": False}


@decoder("bool_tf")
def decode_bool_tf(raw: bytes) -> bool:
    value = _BOOLS.get(raw)
    if value is None:
        raise data_error("bool", raw)
    return value


@decoder("uuid")
def decode_uuid(raw: bytes) -> uuid.UUID:
    try:
        return uuid.UUID(raw.decode("ascii"))
    except (ValueError, AttributeError):
        raise data_error("uuid", raw) from None


@decoder("json")
def decode_json(raw: bytes) -> Any:
    """Parsed JSON, as psycopg 3 returns json/jsonb by default (json.loads)."""
    try:
        return json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        raise data_error("json", raw) from None


@decoder("bytea")
def decode_bytea(raw: bytes) -> bytes:
    """PostgreSQL bytea text output: hex (``\\x0aff``, the default) or escape format."""
    if raw[:2] == b"\\x":
        try:
            return bytes.fromhex(raw[2:].decode("ascii"))
        except ValueError:
            raise data_error("bytea", raw, "bad hex") from None
    if b"\\" not in raw:
        return bytes(raw)
    return _bytea_unescape(raw)


def _bytea_unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while True:
        j = raw.find(b"\\", i)
        if j < 0:
            out += raw[i:]
            return bytes(out)
        out += raw[i:j]
        if raw[j + 1 : j + 2] == b"\\":
            out.append(0x5C)
            i = j + 2
            continue
        octal = raw[j + 1 : j + 4]
        if len(octal) != 3 or not all(0x30 <= c <= 0x37 for c in octal) or octal[0] > 0x33:
            raise data_error("bytea", raw, "bad escape")
        out.append(int(octal, 8))
        i = j + 4


# The other decoder families register themselves on import.
from engine.wirevm import values_arrays, values_datetimes  # noqa: E402, F401

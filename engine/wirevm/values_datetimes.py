"""Date, time, timestamp and interval decoders for ISO text output.

Python 3.11's C `fromisoformat` reads every ISO form the servers send (fractions of any
length, offsets like ``+05``, ``+05:30`` and LMT's ``+00:09:21``), so the fast path is one
call on the decoded str. Only failures take the slow path, which sorts them by policy:

* MySQL zero and invalid dates (``0000-00-00``, ``2024-02-30 00:00:00``) come back as the raw
  str, as PyMySQL returns them: the shape is a valid MySQL value Python cannot hold.
* ``infinity``, ``-infinity``, BC dates and years past 9999 raise DataError carrying the raw
  text, as psycopg does; so does anything else that does not parse.

This needs PostgreSQL's DateStyle ISO (the core sets it at startup) and IntervalStyle
'postgres' (the server default); other styles fail as DataError rather than mis-decode.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import DataError, PackError
from engine.wirevm.values import DECODERS, Decoder, data_error, decoder, factory

_date_fromiso = date.fromisoformat
_datetime_fromiso = datetime.fromisoformat
_time_fromiso = time.fromisoformat


def _is_mysql_date_shape(s: str) -> bool:
    """YYYY-MM-DD with ASCII digits (MySQL's zero-in-date / invalid-date output)."""
    return (
        len(s) == 10
        and s[4] == "-"
        and s[7] == "-"
        and s[:4].isdigit()
        and s[5:7].isdigit()
        and s[8:].isdigit()
        and s.isascii()
    )


def _is_mysql_datetime_shape(s: str) -> bool:
    """YYYY-MM-DD hh:mm:ss[.f{1,6}]."""
    head, _, frac = s.partition(".")
    return (
        len(head) == 19
        and _is_mysql_date_shape(head[:10])
        and head[10] == " "
        and head[13] == ":"
        and head[16] == ":"
        and head[11:13].isdigit()
        and head[14:16].isdigit()
        and head[17:].isdigit()
        and (not frac or (len(frac) <= 6 and frac.isdigit() and frac.isascii()))
    )


def _out_of_range(kind: str, raw: bytes, s: str) -> DataError:
    """DataError for values psycopg also refuses, with its wording; else a plain parse error."""
    first = s.split(" ", 1)[0] if s else ""
    if s == "-infinity" or s.endswith(" BC"):
        return data_error(kind, raw, "before year 1, not representable in Python")
    if s == "infinity" or len(first.split("-", 1)[0]) > 4:
        return data_error(kind, raw, "after year 9999, not representable in Python")
    return data_error(kind, raw)


@decoder("date")
def decode_date(raw: bytes) -> date | str:
    try:
        return _date_fromiso(raw.decode("ascii"))
    except (ValueError, AttributeError):
        pass
    s = raw.decode("ascii", "replace") if isinstance(raw, bytes) else ""
    if _is_mysql_date_shape(s):
        return s
    raise _out_of_range("date", raw, s)


@decoder("datetime")
def decode_datetime(raw: bytes) -> datetime | str:
    """Naive timestamp (PostgreSQL timestamp, MySQL DATETIME/TIMESTAMP)."""
    try:
        return _datetime_fromiso(raw.decode("ascii"))
    except (ValueError, AttributeError):
        pass
    s = raw.decode("ascii", "replace") if isinstance(raw, bytes) else ""
    if _is_mysql_datetime_shape(s):
        return s
    raise _out_of_range("timestamp", raw, s)


def _decode_timestamptz(raw: bytes) -> datetime:
    try:
        value = _datetime_fromiso(raw.decode("ascii"))
    except (ValueError, AttributeError):
        s = raw.decode("ascii", "replace") if isinstance(raw, bytes) else ""
        raise _out_of_range("timestamptz", raw, s) from None
    if value.tzinfo is None:
        raise data_error("timestamptz", raw, "no UTC offset")
    return value


DECODERS["timestamptz"] = _decode_timestamptz


@factory("timestamptz")
def make_timestamptz(tz: str | tzinfo | None = None) -> Decoder:
    """Aware datetime; with `tz` (an IANA name or tzinfo) converted to that zone, as psycopg
    converts to the session TimeZone ("UTC" becomes `timezone.utc`, as there). Without `tz`,
    or with a zone name this Python does not know (the server's TimeZone can be a POSIX
    spec), the server's fixed offset is kept: the same instant, never a wrong one."""
    if tz is None:
        return _decode_timestamptz
    if isinstance(tz, str):
        if tz == "UTC":
            zone: tzinfo = UTC
        else:
            try:
                zone = ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                return _decode_timestamptz
    elif isinstance(tz, tzinfo):
        zone = tz
    else:
        raise PackError("timestamptz decoder: tz must be a zone name or a tzinfo")

    def decode_timestamptz_in_zone(raw: bytes) -> datetime:
        value = _decode_timestamptz(raw)
        try:
            return value.astimezone(zone)
        except OverflowError:  # near datetime.max/min: keep the fixed offset (as psycopg)
            return value

    return decode_timestamptz_in_zone


@decoder("time")
def decode_time(raw: bytes) -> time:
    """Time of day (PostgreSQL time); 24:00:00 does not fit datetime.time -> DataError."""
    try:
        value = _time_fromiso(raw.decode("ascii"))
    except (ValueError, AttributeError):
        raise data_error("time", raw) from None
    if value.tzinfo is not None:
        raise data_error("time", raw, "unexpected UTC offset")
    return value


@decoder("timetz")
def decode_timetz(raw: bytes) -> time:
    try:
        value = _time_fromiso(raw.decode("ascii"))
    except (ValueError, AttributeError):
        raise data_error("timetz", raw) from None
    if value.tzinfo is None:
        raise data_error("timetz", raw, "no UTC offset")
    return value


_USPAD = (0, 100_000, 10_000, 1_000, 100, 10, 1)


def _clock(text: str) -> tuple[int, int]:
    """'hhh:mm:ss[.ffffff]' (ASCII) -> (seconds, microseconds); ValueError when malformed."""
    h, m, s = text.split(":")
    if "." in s:
        s, frac = s.split(".")
        if len(frac) > 6 or not frac.isdigit():
            raise ValueError("bad fraction")
        micros = int(frac) * _USPAD[len(frac)]
    else:
        micros = 0
    if not (h.isdigit() and m.isdigit() and s.isdigit()):
        raise ValueError("bad clock")
    return int(h) * 3600 + int(m) * 60 + int(s), micros


@decoder("mysql_time")
def decode_mysql_time(raw: bytes) -> timedelta:
    """MySQL TIME (-838:59:59 .. 838:59:59) as a signed timedelta, as PyMySQL returns it."""
    try:
        text = raw.decode("ascii")
        if text[:1] == "-":
            seconds, micros = _clock(text[1:])
            return timedelta(0, -seconds, -micros)
        seconds, micros = _clock(text)
        return timedelta(0, seconds, micros)
    except (ValueError, AttributeError):
        raise data_error("time", raw) from None


_INTERVAL_UNITS = {
    "year": 365,
    "years": 365,
    "mon": 30,
    "mons": 30,
    "day": 1,
    "days": 1,
}


@decoder("interval")
def decode_interval(raw: bytes) -> timedelta:
    """PostgreSQL interval in IntervalStyle 'postgres' (``1 year 2 mons -3 days 04:05:06.7``).

    A timedelta has no months: a year counts 365 days and a month 30, as psycopg does.
    """
    try:
        tokens = raw.decode("ascii").split(" ")
    except (UnicodeDecodeError, AttributeError):
        raise data_error("interval", raw) from None
    days = 0
    seconds = micros = 0
    i, n = 0, len(tokens)
    try:
        while i < n:
            token = tokens[i]
            if ":" in token:
                if i != n - 1:
                    raise ValueError("clock must come last")
                sign = token[:1]
                seconds, micros = _clock(token[1:] if sign in ("+", "-") else token)
                if sign == "-":
                    seconds, micros = -seconds, -micros
                i += 1
            else:
                days += int(token) * _INTERVAL_UNITS[tokens[i + 1]]
                i += 2
        if n == 0 or tokens == [""]:
            raise ValueError("empty")
        return timedelta(days=days, seconds=seconds, microseconds=micros)
    except (ValueError, KeyError, IndexError):
        raise data_error("interval", raw, "IntervalStyle must be 'postgres'") from None
    except OverflowError:
        raise data_error("interval", raw, "out of timedelta range") from None

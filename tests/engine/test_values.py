"""Value decoders: tables of (server text, Python value), malformed input, and fuzzing.

The tables hold edge values from WIREVM.md §4.3 item 6 (min/max integers, 65-digit decimals,
zero dates, ±838:59:59, odd UTC offsets, NaN/Infinity, bytea in both formats, nested arrays).
Where PyMySQL has a pure converter for the same text it is used as a second oracle; the
live differential corpus against both servers is in test_values_live.py.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymysql import converters as pymysql_conv

from engine.errors import DataError, PackError
from engine.wirevm import values
from engine.wirevm.values import DECODERS, FACTORIES, decoder_factory

CONTRACT_DECODERS = [
    "int",
    "float",
    "decimal",
    "bytes",
    "text",
    "bool_tf",
    "bit_bytes",
    "uuid",
    "json_text",
    "json",
    "date",
    "time",
    "timetz",
    "mysql_time",
    "datetime",
    "timestamptz",
    "interval",
    "bytea",
]


@pytest.mark.parametrize("name", CONTRACT_DECODERS)
def test_contract_names_resolve(name):
    assert decoder_factory(name) is not None
    assert callable(decoder_factory(name))


def test_factories():
    assert {"text", "pg_array", "timestamptz"} <= set(FACTORIES)
    assert decoder_factory("text", encoding="latin-1")(b"\xe9") == "\u00e9"
    assert decoder_factory("pg_array", element="int", delim=";")(b"{1;2}") == [1, 2]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("no_such_decoder", {}),
        ("int", {"base": 16}),
        ("text", {"charset": "utf8"}),
        ("text", {"encoding": "utf8mb4"}),
        ("text", {"encoding": "utf-8", "errors": "nope"}),
        ("pg_array", {"element": "no_such_decoder"}),
        ("pg_array", {"element": "int", "delim": ",,"}),
        ("pg_array", {"element": "int", "delim": "{"}),
        ("pg_array", {"element": 5}),
        ("timestamptz", {"tz": 5}),
    ],
)
def test_bad_decoder_specs_are_pack_errors(name, params):
    with pytest.raises(PackError):
        decoder_factory(name, **params)


def tz(hours=0, minutes=0, seconds=0):
    sign = -1 if hours < 0 or minutes < 0 or seconds < 0 else 1
    return timezone(sign * timedelta(hours=abs(hours), minutes=abs(minutes), seconds=abs(seconds)))


TABLE = [
    # integers (PostgreSQL int2/4/8, MySQL TINY..LONGLONG incl. UNSIGNED BIGINT, YEAR)
    ("int", b"0", 0),
    ("int", b"-32768", -32768),
    ("int", b"-9223372036854775808", -9223372036854775808),
    ("int", b"18446744073709551615", 18446744073709551615),
    ("int", b"2155", 2155),
    # floats
    ("float", b"1.5", 1.5),
    ("float", b"-0", -0.0),
    ("float", b"1.7976931348623157e+308", 1.7976931348623157e308),
    ("float", b"Infinity", math.inf),
    ("float", b"-Infinity", -math.inf),
    ("float", b"1e-45", 1e-45),
    # decimals
    ("decimal", b"1.500000000000000000000000000000", Decimal("1.500000000000000000000000000000")),
    ("decimal", b"-" + b"9" * 65, Decimal("-" + "9" * 65)),
    ("decimal", b"0.000000000000000000000000000001", Decimal("1E-30")),
    ("decimal", b"Infinity", Decimal("Infinity")),
    ("decimal", b"-Infinity", Decimal("-Infinity")),
    # bytes and text
    ("bytes", b"\x00\xff", b"\x00\xff"),
    ("bit_bytes", b"\x05", b"\x05"),
    ("text", "caf\u00e9 \u65e5\u672c \U0001f600".encode(), "caf\u00e9 \u65e5\u672c \U0001f600"),
    ("text", b"", ""),
    ("json_text", '{"a": "\u00e9"}'.encode(), '{"a": "\u00e9"}'),
    ("json", b'{"a": [1, 2.5, null, true], "b": "\\u00e9"}', {"a": [1, 2.5, None, True], "b": "é"}),
    ("json", b'"just a string"', "just a string"),
    ("json", b"123", 123),
    ("bool_tf", b"t", True),
    ("bool_tf", b"f", False),
    (
        "uuid",
        b"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ),
    # bytea: hex (default) and escape output formats
    ("bytea", b"\\x", b""),
    ("bytea", b"\\x00ff7f", b"\x00\xff\x7f"),
    ("bytea", b"\\x4142", b"AB"),
    ("bytea", b"abc", b"abc"),
    ("bytea", b"\\000\\377a\\\\b", b"\x00\xffa\\b"),
    ("bytea", b"", b""),
    # dates
    ("date", b"2024-02-29", date(2024, 2, 29)),
    ("date", b"0001-01-01", date(1, 1, 1)),
    ("date", b"9999-12-31", date(9999, 12, 31)),
    ("date", b"0000-00-00", "0000-00-00"),  # MySQL zero date: raw str, like PyMySQL
    ("date", b"2024-02-30", "2024-02-30"),  # MySQL ALLOW_INVALID_DATES
    ("date", b"2024-00-10", "2024-00-10"),
    # naive timestamps
    ("datetime", b"2024-02-29 12:34:56", datetime(2024, 2, 29, 12, 34, 56)),
    ("datetime", b"2024-02-29 12:34:56.1", datetime(2024, 2, 29, 12, 34, 56, 100000)),
    ("datetime", b"2024-02-29 12:34:56.123456", datetime(2024, 2, 29, 12, 34, 56, 123456)),
    ("datetime", b"9999-12-31 23:59:59.999999", datetime(9999, 12, 31, 23, 59, 59, 999999)),
    ("datetime", b"0000-00-00 00:00:00", "0000-00-00 00:00:00"),
    ("datetime", b"0000-00-00 00:00:00.000000", "0000-00-00 00:00:00.000000"),
    ("datetime", b"2024-02-30 10:00:00", "2024-02-30 10:00:00"),
    # aware timestamps: offsets with minutes and with seconds (LMT)
    (
        "timestamptz",
        b"2024-02-29 12:34:56.123456+05:30",
        datetime(2024, 2, 29, 12, 34, 56, 123456, tz(5, 30)),
    ),
    ("timestamptz", b"2024-02-29 12:34:56+00", datetime(2024, 2, 29, 12, 34, 56, tzinfo=UTC)),
    ("timestamptz", b"1900-01-01 00:00:00+00:09:21", datetime(1900, 1, 1, tzinfo=tz(0, 9, 21))),
    ("timestamptz", b"1850-01-01 00:00:00-04:56:02", datetime(1850, 1, 1, tzinfo=tz(-4, -56, -2))),
    ("timestamptz", b"2000-01-01 00:00:00-03:30", datetime(2000, 1, 1, tzinfo=tz(-3, -30))),
    # times
    ("time", b"00:00:00", time(0, 0)),
    ("time", b"23:59:59.999999", time(23, 59, 59, 999999)),
    ("time", b"04:05:06.7", time(4, 5, 6, 700000)),
    ("timetz", b"04:05:06.789+05:30", time(4, 5, 6, 789000, tz(5, 30))),
    ("timetz", b"04:05:06-08", time(4, 5, 6, tzinfo=tz(-8))),
    ("timetz", b"04:05:06+00:09:21", time(4, 5, 6, tzinfo=tz(0, 9, 21))),
    # MySQL TIME -> timedelta
    ("mysql_time", b"00:00:00", timedelta(0)),
    ("mysql_time", b"838:59:59", timedelta(hours=838, minutes=59, seconds=59)),
    ("mysql_time", b"-838:59:59", -timedelta(hours=838, minutes=59, seconds=59)),
    ("mysql_time", b"-00:00:01.500000", timedelta(seconds=-1.5)),
    ("mysql_time", b"12:30:00.123", timedelta(hours=12, minutes=30, microseconds=123000)),
    # PostgreSQL intervals, IntervalStyle postgres (a year = 365 days, a month = 30 days)
    ("interval", b"00:00:00", timedelta(0)),
    (
        "interval",
        b"1 year 2 mons 3 days 04:05:06.7",
        timedelta(days=365 + 60 + 3, hours=4, minutes=5, seconds=6.7),
    ),
    (
        "interval",
        b"-1 years -2 mons +3 days -04:05:06",
        timedelta(days=-365 - 60 + 3, hours=-4, minutes=-5, seconds=-6),
    ),
    ("interval", b"1 day", timedelta(days=1)),
    ("interval", b"-1 days +02:03:04", timedelta(days=-1, hours=2, minutes=3, seconds=4)),
    ("interval", b"-00:00:00.000001", timedelta(microseconds=-1)),
    ("interval", b"1000 years", timedelta(days=365000)),
    ("interval", b"100:00:00", timedelta(hours=100)),
]


@pytest.mark.parametrize(("name", "raw", "expected"), TABLE)
def test_decoder_table(name, raw, expected):
    value = DECODERS[name](raw)
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(expected, datetime | time):
        assert value.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("name", "raw"),
    [("float", b"NaN"), ("decimal", b"NaN"), ("decimal", b"nan")],
)
def test_nan(name, raw):
    value = DECODERS[name](raw)
    assert value != value  # NaN, in both float and Decimal


MALFORMED = [
    ("int", b""),
    ("int", b"1.5"),
    ("int", b"abc"),
    ("float", b"one"),
    ("float", b""),
    ("decimal", b"1,5"),
    ("decimal", b"\xff"),
    ("text", b"\xff\xfe"),
    ("text", b"\xc3"),  # truncated UTF-8
    ("json_text", b"\xe9"),
    ("json", b"{bad json"),
    ("json", b"[" * 100_000),  # deep nesting must not escape as RecursionError
    ("bool_tf", b"true"),
    ("bool_tf", b""),
    ("uuid", b"not-a-uuid"),
    ("uuid", b"\xff"),
    ("bytea", b"\\xZZ"),
    ("bytea", b"\\x0"),
    ("bytea", b"a\\9"),
    ("bytea", b"a\\400"),
    ("bytea", b"a\\"),
    ("date", b"infinity"),
    ("date", b"-infinity"),
    ("date", b"2024-02-29 BC"),
    ("date", b"0044-03-15 BC"),
    ("date", b"10000-01-01"),
    ("date", b"yesterday"),
    ("date", b""),
    ("date", b"\xff"),
    ("datetime", b"infinity"),
    ("datetime", b"2024-02-29 12:00:00 BC"),
    ("datetime", b"12345-01-01 00:00:00"),
    ("datetime", b"29/02/2024 12:00:00"),  # DateStyle SQL: refuse, never mis-decode
    ("timestamptz", b"infinity"),
    ("timestamptz", b"-infinity"),
    ("timestamptz", b"2024-02-29 12:00:00"),  # no offset
    ("timestamptz", b"2024-02-29 12:00:00+05 BC"),
    ("time", b"24:00:00"),
    ("time", b"04:05:06+05"),
    ("time", b"nope"),
    ("timetz", b"04:05:06"),
    ("timetz", b"24:00:00+00"),
    ("mysql_time", b"random crap"),
    ("mysql_time", b"1 02:03:04"),
    ("mysql_time", b"12:34"),
    ("mysql_time", b"-"),
    ("mysql_time", b"12:3a:00"),
    ("mysql_time", b"12:30:00.1234567"),
    ("mysql_time", b"\xff"),
    ("interval", b""),
    ("interval", b"P1Y2M3DT4H5M6.7S"),  # IntervalStyle iso_8601
    ("interval", b"@ 1 year 2 mons"),  # postgres_verbose
    ("interval", b"1-2 3 4:05:06.7"),  # sql_standard
    ("interval", b"3 weeks"),
    ("interval", b"04:05:06 1 day"),
    ("interval", b"999999999999 days"),  # beyond timedelta
]


@pytest.mark.parametrize(("name", "raw"), MALFORMED)
def test_malformed_input_raises_data_error_with_raw(name, raw):
    with pytest.raises(DataError) as info:
        DECODERS[name](raw)
    assert info.value.raw == raw


def test_data_error_messages_name_the_policy():
    with pytest.raises(DataError, match="before year 1"):
        DECODERS["date"](b"0044-03-15 BC")
    with pytest.raises(DataError, match="after year 9999"):
        DECODERS["timestamptz"](b"infinity")
    with pytest.raises(DataError, match="IntervalStyle"):
        DECODERS["interval"](b"P1D")


# -- MySQL date/time shapes against PyMySQL's converters (a second oracle) ---------------------

MYSQL_TEMPORAL = [
    ("mysql_time", pymysql_conv.convert_timedelta, b"-838:59:59"),
    ("mysql_time", pymysql_conv.convert_timedelta, b"838:59:59.999999"),
    ("mysql_time", pymysql_conv.convert_timedelta, b"-00:00:00.000001"),
    ("mysql_time", pymysql_conv.convert_timedelta, b"25:06:17"),
    ("mysql_time", pymysql_conv.convert_timedelta, b"-25:06:17.5"),
    ("datetime", pymysql_conv.convert_datetime, b"2007-02-25 23:06:20"),
    ("datetime", pymysql_conv.convert_datetime, b"2007-02-25 23:06:20.123"),
    ("datetime", pymysql_conv.convert_datetime, b"0000-00-00 00:00:00"),
    ("datetime", pymysql_conv.convert_datetime, b"2007-02-31 23:06:20"),
    ("datetime", pymysql_conv.convert_datetime, b"1000-01-01 00:00:00.000000"),
    ("date", pymysql_conv.convert_date, b"2007-02-26"),
    ("date", pymysql_conv.convert_date, b"0000-00-00"),
    ("date", pymysql_conv.convert_date, b"2007-02-31"),
    ("date", pymysql_conv.convert_date, b"2007-00-00"),
]


@pytest.mark.parametrize(("name", "oracle", "raw"), MYSQL_TEMPORAL)
def test_mysql_temporal_matches_pymysql(name, oracle, raw):
    expected = oracle(raw)
    value = DECODERS[name](raw)
    assert value == expected and type(value) is type(expected)


# -- timestamptz converted to a session zone, as psycopg does ---------------------------------


def test_timestamptz_unknown_zone_keeps_the_server_offset():
    decode = decoder_factory("timestamptz", tz="Mars/Olympus_Mons")
    value = decode(b"2024-07-01 10:00:00+05:30")
    assert value.utcoffset() == timedelta(hours=5, minutes=30)
    assert decoder_factory("timestamptz", tz="UTC")(b"2024-07-01 10:00:00+02").tzinfo is UTC


def test_timestamptz_in_zone():
    decode = decoder_factory("timestamptz", tz="Europe/Paris")
    value = decode(b"2024-07-01 10:00:00+00")
    assert value.tzinfo == ZoneInfo("Europe/Paris")
    assert (value.hour, value.utcoffset()) == (12, timedelta(hours=2))
    assert decoder_factory("timestamptz", tz=UTC)(b"2024-07-01 10:00:00+02").hour == 8
    # near datetime.max the conversion overflows: same instant kept with the fixed offset
    edge = decoder_factory("timestamptz", tz="Asia/Tokyo")(b"9999-12-31 23:00:00+00")
    assert edge == datetime(9999, 12, 31, 23, tzinfo=UTC)


# -- PostgreSQL arrays ------------------------------------------------------------------------

ARRAYS = [
    ("int", b"{}", []),
    ("int", b"{1,2,3}", [1, 2, 3]),
    ("int", b"{{1,2},{3,NULL}}", [[1, 2], [3, None]]),
    ("int", b"{{{1}},{{2}}}", [[[1]], [[2]]]),
    ("int", b"[0:2]={5,6,7}", [5, 6, 7]),
    ("int", b"[1:2][1:1]={{1},{2}}", [[1], [2]]),
    ("text", b"{a,b}", ["a", "b"]),
    (
        "text",
        rb'{"a,b","c\"d","back\\slash",NULL,"NULL",""}',
        ["a,b", 'c"d', "back\\slash", None, "NULL", ""],
    ),
    ("text", rb'{"{}","a b"," lead"}', ["{}", "a b", " lead"]),
    ("text", '{caf\u00e9,"\u65e5 \u672c"}'.encode(), ["caf\u00e9", "\u65e5 \u672c"]),
    ("decimal", b"{1.5,NaN,-Infinity}", None),  # checked below (NaN)
    ("bool_tf", b"{t,f,NULL}", [True, False, None]),
    ("bytea", rb'{"\\x00ff","\\x"}', [b"\x00\xff", b""]),
    ("date", b"{2024-02-29,NULL}", [date(2024, 2, 29), None]),
    (
        "timestamptz",
        b'{"2024-02-29 12:00:00+05:30"}',
        [datetime(2024, 2, 29, 12, tzinfo=tz(5, 30))],
    ),
    ("json", rb'{"{\"a\": 1}","[1, 2]"}', [{"a": 1}, [1, 2]]),
]


@pytest.mark.parametrize(("element", "raw", "expected"), ARRAYS)
def test_pg_arrays(element, raw, expected):
    value = decoder_factory("pg_array", element=element)(raw)
    if expected is None:
        assert value[0] == Decimal("1.5") and value[1].is_nan() and value[2] == Decimal("-Infinity")
    else:
        assert value == expected


def test_pg_array_box_delimiter():
    decode = decoder_factory("pg_array", element="text", delim=";")
    assert decode(b"{(1,1),(0,0);(2,2),(1,1)}") == ["(1,1),(0,0)", "(2,2),(1,1)"]


def test_pg_array_with_a_built_element_decoder():
    latin = decoder_factory("text", encoding="latin-1")
    assert decoder_factory("pg_array", element=latin)(b"{\xe9}") == ["\u00e9"]


def test_pg_array_is_linear_on_long_input():
    raw = b"{" + b",".join(b"%d" % i for i in range(200_000)) + b"}"
    assert decoder_factory("pg_array", element="int")(raw) == list(range(200_000))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"1",
        b"{",
        b"{1",
        b"{1,}",
        b"{,1}",
        b"{1}}",
        b"{1}x",
        b"{{1}2}",
        b"{1 2}",
        b'{"a}',
        b'{"a"b}',
        b"[1:2]{1,2}",
        b"{" * 100 + b"}" * 100,  # deeper than any server array
        b"{abc}",  # element decoder failure surfaces as DataError too
    ],
)
def test_pg_array_malformed(raw):
    with pytest.raises(DataError):
        decoder_factory("pg_array", element="int")(raw)


# -- fuzz: any bytes give a value or a DataError, never another exception ----------------------

ALL_DECODERS = [(name, fn) for name, fn in sorted(DECODERS.items())] + [
    ("pg_array(int)", decoder_factory("pg_array", element="int")),
    ("pg_array(text)", decoder_factory("pg_array", element="text")),
    ("pg_array(timestamptz)", decoder_factory("pg_array", element="timestamptz")),
    ("timestamptz(tz)", decoder_factory("timestamptz", tz="America/New_York")),
]

fuzz_bytes = st.one_of(
    st.binary(max_size=40),
    st.text(alphabet='0123456789-:. +{}",\\NULabdeinfty[]=TZ', max_size=40).map(str.encode),
)


@pytest.mark.parametrize(("name", "fn"), ALL_DECODERS, ids=[n for n, _ in ALL_DECODERS])
@settings(max_examples=300, deadline=None)
@given(raw=fuzz_bytes)
def test_fuzz_only_data_error_escapes(name, fn, raw):
    try:
        fn(raw)
    except DataError as exc:
        assert exc.raw is not None


def test_values_module_lists_its_deliberate_differences():
    assert {"timestamptz", "interval", "mysql_time"} <= set(values.DIFFERENCES)

"""Differential decoding against the real servers: our decoder on the exact text the server
sends must equal what psycopg 3 / PyMySQL return for the same expression.

The raw text comes from the server itself without our wire code: libpq's result through
`psycopg.pq` (`pgconn.exec_`, text format, with the column's type OID) and PyMySQL with every
converter disabled (its field metadata gives MySQL type code and charset). The decoder for a
column is chosen by the small type maps below, the same mapping the packs declare as data.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pymysql
import pytest

from engine.errors import DataError
from engine.wirevm.values import decoder_factory
from tests._services import mariadb_connect

# -- PostgreSQL -------------------------------------------------------------------------------

PG_SCALARS = {
    16: "bool_tf",
    17: "bytea",
    18: "text",
    19: "text",
    25: "text",
    1042: "text",
    1043: "text",
    20: "int",
    21: "int",
    23: "int",
    26: "int",
    700: "float",
    701: "float",
    1700: "decimal",
    114: "json",
    3802: "json",
    1082: "date",
    1083: "time",
    1266: "timetz",
    1114: "datetime",
    1184: "timestamptz",
    1186: "interval",
    2950: "uuid",
}

PG_CORPUS = [
    "1::int2",
    "(-32768)::int2",
    "2147483647::int4",
    "(-9223372036854775808)::int8",
    "42::oid",
    "1.5::float4",
    "0.1::float4",
    "1e-300::float8",
    "'NaN'::float8",
    "'Infinity'::float8",
    "'-Infinity'::float8",
    "(-0.0)::float8",
    "'NaN'::numeric",
    "'Infinity'::numeric",
    "'-Infinity'::numeric",
    "'123456789012345678901234567890.123456789'::numeric",
    "0.000001::numeric(20,10)",
    "(-1.5)::numeric",
    "true",
    "false",
    "'hello'::text",
    "'caf\u00e9 \u65e5\u672c \U0001f600'::text",
    "''::text",
    "'x'::char(3)",
    "'nm'::name",
    "'a'::\"char\"",
    "'v'::varchar(5)",
    "'\\x00ff'::bytea",
    "''::bytea",
    "decode('deadbeef5c22', 'hex')",
    '\'{"a": [1, 2.5, null], "b": "\u00e9"}\'::json',
    '\'{"a": [1, 2.5, null], "b": "\u00e9"}\'::jsonb',
    '\'[1, "two", {"3": true}]\'::jsonb',
    "'\"s\"'::json",
    "'null'::jsonb",
    "'2024-02-29'::date",
    "'0001-01-01'::date",
    "'9999-12-31'::date",
    "'04:05:06.789'::time",
    "'23:59:59.999999'::time",
    "'00:00:00'::time",
    "'04:05:06+05:30'::timetz",
    "'04:05:06.5-08'::timetz",
    "'2024-02-29 12:34:56.123456'::timestamp",
    "'2024-02-29 12:34:56'::timestamp",
    "'0001-01-01 00:00:00'::timestamp",
    "'2024-02-29 12:34:56.123456+05:30'::timestamptz",
    "'1850-01-01 00:00:00 Europe/Amsterdam'::timestamptz",
    "'1900-06-01 12:00:00 Asia/Kolkata'::timestamptz",
    "interval '1 year 2 mons 3 days 04:05:06.7'",
    "interval '-1 year -2 mons +3 days -04:05:06'",
    "interval '0'",
    "interval '1 day -1 second'",
    "interval '100 hours'",
    "interval '-0.000001 seconds'",
    "interval '14 mons'",
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid",
    # arrays
    "'{{1,2},{3,NULL}}'::int[]",
    "'{}'::int[]",
    "'[0:1]={5,6}'::int[]",
    "ARRAY['a,b', 'c\"d', 'back\\slash', NULL, 'NULL', '', ' sp', '{x}']",
    "ARRAY[ARRAY['x','y'],ARRAY['z',NULL]]",
    "ARRAY[1.5, 2]::numeric[]",
    "ARRAY[true, false, NULL]",
    "ARRAY['\\x00ff'::bytea, ''::bytea]",
    "ARRAY['2024-02-29'::date, NULL]",
    "ARRAY['2024-02-29 12:00+05:30'::timestamptz]",
    "ARRAY['{\"a\": 1}'::jsonb, '[1, 2]'::jsonb]",
    "ARRAY[interval '1 day', interval '-1 year 04:00']",
    "ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid]",
    "ARRAY[1.5::float8, 'Infinity']",
    "ARRAY['caf\u00e9'::varchar, 'x']",
    "ARRAY['12:00'::time]",
]

# Values psycopg refuses with DataError; so must we.
PG_REFUSED = [
    "'infinity'::date",
    "'-infinity'::date",
    "'2024-01-01 BC'::date",
    "'10000-01-01'::date",
    "'infinity'::timestamp",
    "'0044-03-15 12:00 BC'::timestamp",
    "'infinity'::timestamptz",
    "'-infinity'::timestamptz",
    "'24:00:00'::time",
]

TIMEZONES = ["UTC", "Asia/Kolkata", "Europe/Amsterdam", "America/St_Johns"]


@pytest.fixture(scope="module")
def pg(pg_url):
    conn = psycopg.connect(pg_url, autocommit=True)
    conn.execute("SET DateStyle = 'ISO, MDY'")
    conn.execute("SET IntervalStyle = 'postgres'")
    yield conn
    conn.close()


def _pg_raw(conn, expr):
    """(text bytes exactly as the server sent them, type OID) for `SELECT expr`."""
    res = conn.pgconn.exec_(f"SELECT {expr}".encode())
    assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
    return res.get_value(0, 0), res.ftype(0)


def _pg_decoder(conn, oid, zone=None):
    name = PG_SCALARS.get(oid)
    if name is not None:
        return (
            decoder_factory(name, tz=zone)
            if name == "timestamptz" and zone
            else (decoder_factory(name))
        )
    elem, delim = conn.execute(
        "SELECT e.oid, e.typdelim FROM pg_type a JOIN pg_type e ON e.oid = a.typelem "
        "WHERE a.oid = %s AND a.typcategory = 'A'",
        (oid,),
    ).fetchone()
    return decoder_factory("pg_array", element=_pg_decoder(conn, elem, zone), delim=delim)


def _same(ours, theirs):
    if isinstance(theirs, list):
        return len(ours) == len(theirs) and all(map(_same, ours, theirs))
    if isinstance(theirs, float | Decimal) and theirs != theirs:
        return ours != ours and type(ours) is type(theirs)
    if hasattr(theirs, "utcoffset") and theirs.utcoffset() is not None:
        return ours == theirs and ours.utcoffset() is not None
    return ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("zone", TIMEZONES)
@pytest.mark.parametrize("expr", PG_CORPUS)
def test_pg_decoders_match_psycopg(pg, expr, zone):
    pg.execute(f"SET TimeZone = '{zone}'")
    raw, oid = _pg_raw(pg, expr)
    theirs = pg.execute(f"SELECT {expr}").fetchone()[0]
    ours = _pg_decoder(pg, oid)(raw)
    assert _same(ours, theirs), (raw, ours, theirs)
    # converted to the session zone, timestamptz equals psycopg's value field by field
    zoned = _pg_decoder(pg, oid, zone)(raw)
    assert repr(zoned) == repr(theirs) or not _has_tz(theirs)


def _has_tz(value):
    if isinstance(value, list):
        return any(_has_tz(v) for v in value)
    return hasattr(value, "utcoffset") and value.utcoffset() is not None and hasattr(value, "date")


@pytest.mark.parametrize("expr", PG_REFUSED)
def test_pg_values_python_cannot_hold_raise_data_error(pg, expr):
    raw, oid = _pg_raw(pg, expr)
    with pytest.raises(psycopg.DataError):
        pg.execute(f"SELECT {expr}").fetchone()
    with pytest.raises(DataError) as info:
        _pg_decoder(pg, oid)(raw)
    assert info.value.raw == raw


def test_pg_bytea_escape_output(pg):
    pg.execute("SET bytea_output = 'escape'")
    try:
        for expr in ("'\\x00ff5c41'::bytea", "''::bytea", "'\\x5c5c'::bytea", "'abc'::bytea"):
            raw, _ = _pg_raw(pg, expr)
            assert not raw.startswith(b"\\x") or expr == "''::bytea"
            assert decoder_factory("bytea")(raw) == pg.execute(f"SELECT {expr}").fetchone()[0]
    finally:
        pg.execute("SET bytea_output = 'hex'")


def test_pg_other_interval_styles_are_refused_not_misread(pg):
    try:
        for style in ("iso_8601", "sql_standard", "postgres_verbose"):
            pg.execute(f"SET IntervalStyle = '{style}'")
            raw, _ = _pg_raw(pg, "interval '1 year 2 mons 3 days 04:05:06'")
            with pytest.raises(DataError, match="IntervalStyle"):
                decoder_factory("interval")(raw)
    finally:
        pg.execute("SET IntervalStyle = 'postgres'")


# -- MariaDB ----------------------------------------------------------------------------------

BINARY_CHARSET = 63


def mysql_decoder_name(type_code, charset):
    """The MySQL text-protocol type map (what the pack declares as data)."""
    if type_code in (1, 2, 3, 8, 9, 13):
        return "int"
    if type_code in (0, 246):
        return "decimal"
    if type_code in (4, 5):
        return "float"
    if type_code in (7, 12):
        return "datetime"
    if type_code in (10, 14):
        return "date"
    if type_code == 11:
        return "mysql_time"
    if type_code == 16:
        return "bit_bytes"
    if type_code == 245:
        return "json_text"
    if type_code == 255 or charset == BINARY_CHARSET:
        return "bytes"
    return "text"


MARIADB_CORPUS = [
    "1",
    "-128",
    "CAST(18446744073709551615 AS UNSIGNED)",
    "CAST(-9223372036854775808 AS SIGNED)",
    "CAST('-838:59:59' AS TIME)",
    "CAST('838:59:59.999999' AS TIME(6))",
    "CAST('-00:00:01.5' AS TIME(1))",
    "TIME'12:30:00'",
    "b'101'",
    "b'1111111111'",
    "CAST(1.5 AS DECIMAL(65,30))",
    "CAST(-99999999999999999999999999999999999.999999999999999999999999999999 AS DECIMAL(65,30))",
    "0.1",
    "JSON_OBJECT('a', '\u00e9')",
    "JSON_ARRAY(1, 2.5, NULL)",
    "1.5e300",
    "1e-300",
    "CAST(0.1 AS FLOAT)",
    "PI()",
    "'caf\u00e9 \u65e5\u672c \U0001f600'",
    "''",
    "_binary'\\0\\xff'",
    "X'00FF'",
    "UNHEX('DEADBEEF')",
    "DATE'2024-02-29'",
    "CAST('2024-02-29 12:34:56.123456' AS DATETIME(6))",
    "CAST('2024-02-29 12:34:56.123' AS DATETIME(3))",
    "TIMESTAMP'2024-02-29 12:34:56'",
    "CAST('1000-01-01 00:00:00' AS DATETIME)",
    "ST_GeomFromText('POINT(1 1)')",
    "CONVERT('\u00e9t\u00e9' USING latin1)",
]

# A table holds what literals cannot produce: zero/invalid dates, YEAR, ENUM, SET, BIT.
MARIADB_TABLE = """
CREATE TEMPORARY TABLE h2_values (
  d DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL, y YEAR, e ENUM('a','b\u00e9'),
  s SET('x','y','z'), bits BIT(10), t TIME(6), blob_col BLOB, txt TEXT, dec_col DECIMAL(10,2),
  fl FLOAT, db DOUBLE, u BIGINT UNSIGNED, ti TINYINT, mi MEDIUMINT
)
"""
MARIADB_ROWS = [
    "('0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', 0, 'a', 'x,z', b'0', "
    "'00:00:00', '', '', 0, 0, 0, 0, 0, 0)",
    "('2024-02-30', '2024-02-30 10:00:00.5', '2024-02-29 12:34:56.123456', 2155, 'b\u00e9', "
    "'', b'1111111111', '-838:59:59', X'00FF', 'caf\u00e9', -12345678.99, 3.4e38, -1.7e308, "
    "18446744073709551615, -128, -8388608)",
    "('2024-00-00', '1000-01-01 00:00:00', '1970-01-01 00:00:01', 1901, NULL, 'x,y,z', b'10', "
    "'838:59:59.999999', X'5C', '\u65e5', 0.01, 1.5, 2.5, 1, 127, 8388607)",
]


@pytest.fixture(scope="module")
def mariadb(mariadb_url):
    oracle = mariadb_connect(mariadb_url, charset="utf8mb4")
    raw = mariadb_connect(mariadb_url, charset="utf8mb4", conv={})
    yield oracle, raw
    oracle.close()
    raw.close()


def _mysql_raw_rows(conn, sql):
    """Rows as the exact bytes the server sent, plus (type code, charset) per column."""
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
        fields = [(f.type_code, f.charsetnr) for f in cur._result.fields]
    encoded = [tuple(v.encode("utf-8") if isinstance(v, str) else v for v in row) for row in rows]
    return encoded, fields


def _check_mysql(oracle, raw_conn, sql):
    with oracle.cursor() as cur:
        cur.execute(sql)
        theirs_rows = cur.fetchall()
    raw_rows, fields = _mysql_raw_rows(raw_conn, sql)
    assert len(raw_rows) == len(theirs_rows) > 0
    checked = 0
    for raw_row, theirs_row in zip(raw_rows, theirs_rows, strict=True):
        for raw, theirs, (type_code, charset) in zip(raw_row, theirs_row, fields, strict=True):
            if raw is None:
                assert theirs is None
                continue
            ours = decoder_factory(mysql_decoder_name(type_code, charset))(raw)
            assert ours == theirs and type(ours) is type(theirs), (type_code, raw, ours, theirs)
            checked += 1
    return checked


@pytest.mark.parametrize("expr", MARIADB_CORPUS)
def test_mariadb_decoders_match_pymysql(mariadb, expr):
    oracle, raw_conn = mariadb
    assert _check_mysql(oracle, raw_conn, f"SELECT {expr}") == 1


def test_mariadb_table_values_match_pymysql(fresh_mariadb_database):
    oracle = mariadb_connect(fresh_mariadb_database, charset="utf8mb4")
    raw_conn = mariadb_connect(fresh_mariadb_database, charset="utf8mb4", conv={})
    with oracle, raw_conn:
        _check_table(oracle, raw_conn)


def _check_table(oracle, raw_conn):
    for conn in (oracle, raw_conn):
        with conn.cursor() as cur:
            cur.execute("SET SESSION sql_mode = 'ALLOW_INVALID_DATES'")
            cur.execute("SET SESSION time_zone = '+00:00'")
            cur.execute("DROP TEMPORARY TABLE IF EXISTS h2_values")
            cur.execute(MARIADB_TABLE)
            cur.execute(f"INSERT INTO h2_values VALUES {', '.join(MARIADB_ROWS)}")
    checked = _check_mysql(oracle, raw_conn, "SELECT * FROM h2_values")
    assert checked >= 45
    # the zero and invalid dates really were exercised
    with oracle.cursor() as cur:
        cur.execute("SELECT d, dt FROM h2_values")
        got = cur.fetchall()
    assert ("0000-00-00", "0000-00-00 00:00:00.000000") in got
    assert any(d == "2024-02-30" for d, _ in got)


def test_mariadb_binary_charset_json_is_text(mariadb):
    _, raw_conn = mariadb
    rows, fields = _mysql_raw_rows(raw_conn, "SELECT JSON_OBJECT('k', '\u00e9')")
    assert mysql_decoder_name(*fields[0]) in ("json_text", "text")
    assert decoder_factory("json_text")(rows[0][0]) == '{"k": "\u00e9"}'


def test_pymysql_is_the_oracle_in_use():
    assert pymysql.converters.decoders[11] is pymysql.converters.convert_timedelta

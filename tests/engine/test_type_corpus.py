"""The whole WireVM stack against the oracles: for every value of the type corpus, what
`engine.connect(url).query(...)` returns equals what psycopg / PyMySQL return for the
same query on the same server (issue #3's type corpus).

test_values_live.py checks the decoders on the server's raw text; this checks everything
above them too: the pack's type map, the row codec, NULL handling, charsets and sessions.
"""

from __future__ import annotations

import psycopg
import pytest

from engine import connect
from tests._services import mariadb_connect
from tests.engine.test_values_live import (
    MARIADB_CORPUS,
    MARIADB_ROWS,
    MARIADB_TABLE,
    PG_CORPUS,
    _same,
)

ZONES = ["UTC", "America/St_Johns"]
ARRAYS_OF_EVERY_SCALAR = [
    "ARRAY['\\x00ff'::bytea, NULL]",
    "ARRAY['{\"a\": [1, 2]}'::jsonb, 'null'::jsonb]",
    "ARRAY['[1]'::json]",
    "ARRAY[date '2024-02-29', NULL]",
    "ARRAY[time '12:34:56.789']",
    "ARRAY[timetz '12:34:56+05:30']",
    "ARRAY[timestamp '2024-02-29 12:34:56.5']",
    "ARRAY[timestamptz '2024-02-29 12:34:56+02', timestamptz '1999-12-31 23:59:59.999999-09:30']",
    "ARRAY[interval '1 day 02:03:04', interval '-3 hours']",
]


@pytest.fixture(scope="module")
def pg_pair(pg_url):
    oracle = psycopg.connect(pg_url, autocommit=True)
    with connect(pg_url) as ours:
        yield ours, oracle
    oracle.close()


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("expr", PG_CORPUS + ARRAYS_OF_EVERY_SCALAR)
def test_pg_values_match_psycopg(pg_pair, expr, zone):
    ours, oracle = pg_pair
    for conn in (ours, oracle):
        conn.execute(f"SET TimeZone = '{zone}'")
    theirs = oracle.execute(f"SELECT {expr}").fetchone()[0]
    got = ours.query(f"SELECT {expr}").rows[0][0]
    assert _same(got, theirs), (expr, got, theirs)


def test_pg_nulls_and_many_columns(pg_pair):
    ours, oracle = pg_pair
    sql = "SELECT " + ", ".join(f"NULLIF({e}, {e})" for e in ("1", "'x'", "now()", "1.5"))
    sql += ", " + ", ".join(PG_CORPUS[:40])
    theirs = oracle.execute(sql).fetchone()
    got = ours.query(sql).rows[0]
    assert len(got) == len(theirs) == 44
    assert all(_same(a, b) for a, b in zip(got, theirs, strict=True))


@pytest.fixture(scope="module")
def maria_pair(mariadb_url):
    oracle = mariadb_connect(mariadb_url, charset="utf8mb4")
    with connect(mariadb_url) as ours:
        yield ours, oracle
    oracle.close()


def _oracle_rows(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


@pytest.mark.parametrize("expr", MARIADB_CORPUS)
def test_mariadb_values_match_pymysql(maria_pair, expr):
    ours, oracle = maria_pair
    (theirs,) = _oracle_rows(oracle, f"SELECT {expr}")[0]
    got = ours.query(f"SELECT {expr}").rows[0][0]
    assert got == theirs and type(got) is type(theirs), (expr, got, theirs)


def test_mariadb_table_values_match_pymysql(fresh_mariadb_database):
    oracle = mariadb_connect(fresh_mariadb_database, charset="utf8mb4")
    with connect(fresh_mariadb_database) as ours, oracle:
        setup = [
            "SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
            "SET SESSION time_zone = '+00:00'",
            "CREATE TABLE corpus " + MARIADB_TABLE.split("h2_values", 1)[1],
            f"INSERT INTO corpus VALUES {', '.join(MARIADB_ROWS)}",
        ]
        for sql in setup[:3]:
            ours.execute(sql)
        ours.execute(setup[3])
        _oracle_rows(oracle, "SET SESSION time_zone = '+00:00'")
        theirs = _oracle_rows(oracle, "SELECT * FROM corpus ORDER BY y")
        got = ours.query("SELECT * FROM corpus ORDER BY y").rows
    assert len(got) == len(theirs) == len(MARIADB_ROWS)
    checked = 0
    for row, expected in zip(got, theirs, strict=True):
        for a, b in zip(row, expected, strict=True):
            assert a == b and type(a) is type(b), (a, b)
            checked += 1
    assert checked == 16 * len(MARIADB_ROWS)

"""Live smoke of the core through the test tap (plain TCP, no TLS: H4's driver tests cover
TLS, cancel and timeouts): connect, auth, mixed types, multi-statement, errors, ping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pytest

from engine import errors as E
from engine.wirevm import events as ev
from tests.engine.wiretap import Tap, config_from_url, rows_of


def tap(url: str, **overrides) -> Tap:
    t = Tap(config_from_url(url, **overrides))
    t.connect()
    return t


def with_password(url: str, password: str) -> str:
    u = urlsplit(url)
    netloc = f"{u.username}:{password}@{u.hostname}:{u.port}"
    return urlunsplit((u.scheme, netloc, u.path, u.query, u.fragment))


def errors_of(events):
    return [e for e in events if isinstance(e, ev.ServerErrorEvent)]


@pytest.mark.parametrize(
    "fixture, plugin",
    [
        ("mariadb_url", None),
        ("mariadb_native_url", "mysql_native_password"),
        ("mariadb_ed25519_url", "client_ed25519"),
    ],
)
def test_mariadb_connect_query_ping(request, fixture, plugin):
    t = tap(request.getfixturevalue(fixture))
    try:
        if plugin:
            assert t.conn.server["auth_plugin"] == plugin
        assert "MariaDB" in t.conn.server["version"] and not t.conn.server["version"].startswith(
            "5.5.5-"
        )
        rows = rows_of(
            t.query(
                "SELECT 1, 'héllo', NULL, CAST(1.25 AS DECIMAL(5,2)), 2.5e0,"
                " CAST('2024-02-29 12:34:56' AS DATETIME), CAST('2024-02-29' AS DATE),"
                " CAST('-838:59:59' AS TIME), CAST(18446744073709551615 AS UNSIGNED), X'00FF'"
            )
        )
        assert rows == [
            (
                1,
                "héllo",
                None,
                Decimal("1.25"),
                2.5,
                dt.datetime(2024, 2, 29, 12, 34, 56),
                dt.date(2024, 2, 29),
                -dt.timedelta(hours=838, minutes=59, seconds=59),
                18446744073709551615,
                b"\x00\xff",
            )
        ]
        events = t.query("SELECT 1; SELECT 2 AS two; DO 1")
        done = [e for e in events if isinstance(e, ev.ResultDone)]
        assert [d.more_results for d in done] == [True, True, False]
        assert rows_of(events) == [(1,), (2,)]
        err = errors_of(t.query("SELECT * FROM mysql.no_such_table_h3"))
        assert err[0].code == 1146 and err[0].sqlstate == "42S02"
        assert isinstance(t.ping()[-1], ev.Ready)
        many = rows_of(t.query("SELECT seq FROM mysql.seq_1_to_20000"))
        assert len(many) == 20000 and sum(r[0] for r in many) == 20000 * 20001 // 2
        t.init_db("information_schema")
        assert rows_of(t.query("SELECT DATABASE()")) == [("information_schema",)]
    finally:
        t.close()


@pytest.mark.parametrize(
    "fixture, method", [("pg_md5_url", "md5"), ("pg_scram_url", "SCRAM-SHA-256")]
)
def test_postgres_connect_query_ping(request, fixture, method):
    t = tap(request.getfixturevalue(fixture))
    try:
        assert t.conn.server["auth_plugin"] == method
        assert t.conn.server["thread_id"] > 0 and t.conn.cancel_request()
        rows = rows_of(
            t.query(
                "SELECT 1::int8, 'héllo', NULL::text, 1.25::numeric, 'NaN'::float8 <> 0,"
                " '2024-02-29'::date, '{{1,2},{3,NULL}}'::int[], '\\x00ff'::bytea, true"
            )
        )
        assert rows == [
            (
                1,
                "héllo",
                None,
                Decimal("1.25"),
                True,
                dt.date(2024, 2, 29),
                [[1, 2], [3, None]],
                b"\x00\xff",
                True,
            )
        ]
        events = t.query("SELECT 1; CREATE TEMP TABLE h3(a int); INSERT INTO h3 VALUES (1),(2)")
        assert [e.rowcount for e in events if isinstance(e, ev.ResultDone)] == [1, -1, 2]
        err = errors_of(t.query("SELECT * FROM no_such_table_h3"))
        assert err[0].sqlstate == "42P01" and err[0].fields["severity"] == "ERROR"
        assert isinstance(t.ping()[-1], ev.Ready)
        many = rows_of(t.query("SELECT g FROM generate_series(1, 20000) g"))
        assert len(many) == 20000 and sum(r[0] for r in many) == 20000 * 20001 // 2
        t.query("SET DateStyle TO German")
        t.conn.query("SELECT current_date")
        with pytest.raises(E.DataError, match="DateStyle"):
            t.events_until_ready()
        assert isinstance(t.events_until_ready()[-1], ev.Ready)
        assert rows_of(t.query("SELECT 7")) == [(7,)]
    finally:
        t.close()


@pytest.mark.parametrize(
    "fixture", ["mariadb_native_url", "mariadb_ed25519_url", "pg_md5_url", "pg_scram_url"]
)
def test_wrong_password_is_an_auth_error_without_the_password(request, fixture):
    secret = "definitely-wrong-password-h3"
    url = with_password(request.getfixturevalue(fixture), secret)
    t = Tap(config_from_url(url))
    try:
        with pytest.raises(E.AuthError) as info:
            t.connect()
        assert secret not in str(info.value)
    finally:
        t.sock.close()

"""Record replay transcripts from live servers (run by hand, not by pytest):

    .venv/bin/python -m tests.engine.record_transcripts \\
        --mariadb-native URL --mariadb-ed25519 URL --pg-md5 URL --pg-scram URL

URLs are the throwaway test servers' (scripts/testservices.py prints them). Passwords in the
transcripts are those test passwords: replay needs them to recompute the auth answers. The
PostgreSQL SCRAM client nonce is fixed through `options.scram_nonce` so replays are exact.
"""

from __future__ import annotations

import argparse

from tests.engine.wiretap import Tap, config_from_url

MYSQL_QUERIES = [
    "SELECT 1 AS one, 'abc' AS txt, NULL AS nothing, 2.5 AS dec1,"
    " CAST(1.25 AS DECIMAL(5,2)) AS dec2,"
    " CAST('2024-02-29 12:34:56.123456' AS DATETIME(6)) AS dt, CAST('2024-02-29' AS DATE) AS d,"
    " CAST('-838:59:59' AS TIME) AS t, b'101' AS bits, JSON_OBJECT('a', 'é') AS js,"
    " CAST(18446744073709551615 AS UNSIGNED) AS big, X'00FF' AS bin, 1e300 AS dbl",
    "SELECT 1; SELECT 'two' AS s; DO 1",
    "SELECT * FROM no_such_table_h3",
    "SELECT seq, CONCAT('row-', seq) FROM seq_1_to_50",
]
PG_QUERIES = [
    "SELECT 1::int8 AS one, 'abc' AS txt, NULL AS nothing, 2.5::numeric AS n, 'NaN'::float8 AS f,"
    " '2024-02-29 12:34:56.123456+05:30'::timestamptz AS ts, '2024-02-29'::date AS d,"
    " '{{1,2},{3,NULL}}'::int[] AS arr, '\\x00ff'::bytea AS b, interval '1 day 02:03:04' AS iv,"
    " true AS flag, '550e8400-e29b-41d4-a716-446655440000'::uuid AS u, '{\"a\": 1}'::jsonb AS j",
    "SELECT 1; SELECT 'two' AS s; CREATE TEMP TABLE h3t(a int); INSERT INTO h3t VALUES (1),(2)",
    "SELECT * FROM no_such_table_h3",
    "SELECT g, 'row-' || g FROM generate_series(1, 50) g",
    "",
]


def record(name: str, url: str, queries: list[str], notes: str, **overrides) -> None:
    cfg = config_from_url(url, **overrides)
    tap = Tap(cfg)
    tap.connect()
    for q in queries:
        tap.query(q)
    tap.ping()
    tap.close()
    keys = ("scheme", "host", "port", "user", "database", "sslmode", "application_name", "options")
    config = {k: getattr(cfg, k) for k in keys}
    config["password"] = cfg.password.reveal()
    print("wrote", tap.save(name, config, notes))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mariadb-native")
    ap.add_argument("--mariadb-ed25519")
    ap.add_argument("--pg-md5")
    ap.add_argument("--pg-scram")
    a = ap.parse_args(argv)
    if a.mariadb_native:
        record(
            "mariadb_native_session",
            a.mariadb_native,
            MYSQL_QUERIES,
            "MariaDB 10.11, mysql_native_password, DEPRECATE_EOF, multi-results, error, ping",
        )
    if a.mariadb_ed25519:
        record(
            "mariadb_ed25519_connect",
            a.mariadb_ed25519,
            ["SELECT CURRENT_USER()"],
            "MariaDB 10.11, AuthSwitchRequest to client_ed25519",
        )
    if a.pg_md5:
        record("pg_md5_session", a.pg_md5, PG_QUERIES, "PostgreSQL 15, md5, simple queries")
    if a.pg_scram:
        record(
            "pg_scram_connect",
            a.pg_scram,
            ["SELECT current_user"],
            "PostgreSQL 15, SCRAM-SHA-256 with a fixed client nonce",
            options={"scram_nonce": "fixed-h3-client-nonce-0001"},
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The server fingerprint: the same server gives the same value run after run (whoever
connects, with or without TLS); another server, file, version or address gives another."""

from __future__ import annotations

import re

from engine import connect
from engine.flo import learn_database, learn_server
from engine.flo.server import fingerprint_of, server_fingerprint


def fingerprint(url: str) -> str:
    with connect(url) as session:
        return learn_server(session).fingerprint


def test_stable_across_runs_and_users_postgresql(pg_url, pg_scram_url):
    first = fingerprint(pg_url)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert fingerprint(pg_url) == first
    assert fingerprint(pg_scram_url) == first  # the server's, not the login's
    assert fingerprint(f"{pg_url}?sslmode=disable") == first


def test_stable_across_runs_mariadb(mariadb_url, mariadb_native_url):
    first = fingerprint(mariadb_url)
    assert fingerprint(mariadb_url) == first
    assert fingerprint(mariadb_native_url) == first


def test_different_servers_differ(pg_url, mariadb_url, tmp_path):
    a = fingerprint(f"sqlite:///{tmp_path}/a.db")
    b = fingerprint(f"sqlite:///{tmp_path}/b.db")
    values = {fingerprint(pg_url), fingerprint(mariadb_url), a, b}
    assert len(values) == 4
    assert fingerprint(f"sqlite:///{tmp_path}/a.db") == a


def test_identity_facts_are_recorded(pg_url, mariadb_url):
    with connect(pg_url) as s:
        pg = learn_server(s)
    identity = pg.fact("identity")
    assert identity.supported["system_identifier"].isdigit()
    assert "pg_control_system" in identity.evidence.statement
    with connect(mariadb_url) as s:
        maria = learn_server(s)
    assert set(maria.fact("identity").supported) == {"hostname", "port", "datadir"}


def test_each_stable_fact_moves_the_fingerprint():
    base = ("postgres", "postgresql", "15.18", "127.0.0.1:5432", {"system_identifier": "1"})
    reference = fingerprint_of(*base)
    assert fingerprint_of(*base) == reference
    for index, changed in enumerate(
        ["mysql", "mariadb", "15.19", "127.0.0.2:5432", {"system_identifier": "2"}]
    ):
        variant = list(base)
        variant[index] = changed
        assert fingerprint_of(*variant) != reference, index


def test_snapshot_fingerprint_is_learn_servers(fresh_pg_database, fresh_mariadb_database, tmp_path):
    """learn_database names its server with the cheap server_fingerprint (flavour, version
    and identity only): the very value the full learn_server gives, on every family."""
    for url in (fresh_pg_database, fresh_mariadb_database, f"sqlite:///{tmp_path}/f.db"):
        with connect(url) as s:
            full = learn_server(s).fingerprint
            assert server_fingerprint(s) == full, url
            name = url.rsplit("/", 1)[1] if "sqlite" not in url else "main"
            assert learn_database(s, name).snapshot.source["server"] == full, url

"""learn_server on the real servers: the capability answers each family must give, the
flavour told from evidence, and evidence that says how each answer was reached."""

from __future__ import annotations

import json
import re

import pytest

from engine import connect
from engine.flo import LearnedServer, learn_server
from engine.flo.probes import METHODS

ISOLATION = ["READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"]
DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|TRUNCATE|RENAME)\b", re.IGNORECASE)


def learn(url: str) -> LearnedServer:
    with connect(url) as session:
        return learn_server(session)


@pytest.fixture(scope="module")
def pg(pg_url) -> LearnedServer:
    return learn(pg_url)


@pytest.fixture(scope="module")
def mariadb(mariadb_url) -> LearnedServer:
    return learn(mariadb_url)


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory) -> LearnedServer:
    return learn(f"sqlite:///{tmp_path_factory.mktemp('flo')}/caps.db")


def test_postgresql_capabilities(pg):
    assert (pg.family, pg.flavour, pg.dialect) == ("postgres", "postgresql", "postgres")
    assert pg.version_tuple[0] == 15 and pg.version.startswith("15.")
    assert pg.supports("transactional_ddl") is True
    assert pg.supports("window_functions") is True
    assert pg.supports("cte") is True and pg.supports("recursive_cte") is True
    assert set(pg.supports("returning")) == {"INSERT", "UPDATE", "DELETE"}
    assert pg.supports("concurrent_index_build") == "CREATE INDEX CONCURRENTLY"
    assert pg.supports("check_constraints_enforced") is True
    assert pg.supports("partial_indexes") is True and pg.supports("expression_indexes") is True
    assert pg.supports("upsert") == "ON CONFLICT"
    assert pg.supports("sequences") is True and pg.supports("identity_columns") is True
    assert pg.supports("json_type") == "jsonb"
    assert pg.supports("isolation_levels") == ISOLATION
    assert pg.supports("max_identifier_length") == 63
    assert pg.supports("instant_add_column") is True


def test_postgresql_evidence_is_the_real_exchange(pg):
    ddl = pg.capability("transactional_ddl").evidence
    assert ddl.method == "rollback"
    assert ddl.query[0] == "BEGIN" and "ROLLBACK" in ddl.query
    assert any(q.startswith("SET LOCAL statement_timeout") for q in ddl.query)
    assert ddl.answer is True and ddl.error is None
    check = pg.capability("check_constraints_enforced").evidence
    assert check.error["sqlstate"] == "23514"  # the violation is the proof
    window = pg.capability("window_functions").evidence
    assert window.query[0] == "BEGIN TRANSACTION READ ONLY" and window.answer == 2
    assert "OVER" in window.statement


def test_mariadb_capabilities(mariadb):
    assert (mariadb.family, mariadb.flavour) == ("mysql", "mariadb")
    assert mariadb.version_tuple[:2] == (10, 11)
    assert mariadb.supports("transactional_ddl") is False
    assert mariadb.supports("window_functions") is True
    assert mariadb.supports("cte") is True and mariadb.supports("recursive_cte") is True
    assert {"INSERT", "DELETE"} <= set(mariadb.supports("returning"))
    assert mariadb.supports("instant_add_column")
    assert mariadb.supports("sequences") is True
    assert mariadb.supports("partial_indexes") is False
    assert mariadb.supports("upsert") == "ON DUPLICATE KEY UPDATE"
    assert mariadb.supports("isolation_levels") == ISOLATION
    assert mariadb.supports("max_packet_size") > 1024
    assert mariadb.supports("savepoints") is True


def test_mariadb_flavour_decided_by_evidence(mariadb):
    flavour = mariadb.fact("flavour")
    assert flavour.supported == "mariadb"
    assert "MariaDB" in json.dumps(flavour.evidence.answer)
    assert "matches" in flavour.evidence.note
    assert "MARIADB_CLIENT_PROGRESS" in mariadb.handshake["flags"]  # extended caps decoded
    assert "CLIENT_PROTOCOL_41" in mariadb.handshake["flags"]


def test_mariadb_probes_never_send_ddl_and_are_time_bounded(mariadb):
    sent = [q for c in (*mariadb.capabilities, *mariadb.security) for q in c.evidence.query or ()]
    assert sent, "no statement recorded"
    assert not [q for q in sent if DDL.match(q)]
    ddl = mariadb.capability("transactional_ddl")
    assert ddl.evidence.method == "fact" and "implicit" in ddl.evidence.note
    window = mariadb.capability("window_functions").evidence
    assert any(q.startswith("SET STATEMENT max_statement_time") for q in window.query)


def test_sqlite_capabilities(sqlite_server):
    s = sqlite_server
    assert (s.family, s.flavour, s.dialect) == ("sqlite", "sqlite", "sqlite")
    assert s.supports("transactional_ddl") is True
    assert s.supports("window_functions") is True
    assert s.supports("partial_indexes") is True
    assert s.supports("returning") == ["INSERT", "UPDATE", "DELETE"]
    assert s.supports("upsert") == "ON CONFLICT"
    assert s.supports("sequences") is False and s.supports("json_type") is False
    assert s.supports("json_functions") is True
    assert s.supports("isolation_levels") == ["SERIALIZABLE"]
    assert s.supports("max_parameters") >= 999
    assert "compile_options" in s.handshake


@pytest.mark.parametrize("which", ["pg", "mariadb", "sqlite_server"])
def test_every_capability_carries_evidence(which, request):
    server = request.getfixturevalue(which)
    names = [c.name for c in server.capabilities]
    for required in ("cte", "window_functions", "transactional_ddl", "returning", "upsert"):
        assert required in names
    for cap in (*server.capabilities, *server.security, *server.facts):
        ev = cap.evidence
        assert ev.method in (*METHODS, "query"), cap.name
        assert ev.elapsed_ms >= 0
        if ev.method in ("query", "rollback", "setting", "each"):
            assert ev.query and ev.statement, cap.name
        if ev.method in ("fact", "version_at_least") and cap.name in names:
            assert ev.note or ev.answer, cap.name
        if cap.supported is None:
            assert ev.error is not None or ev.method == "fact", cap.name


@pytest.mark.parametrize("which", ["pg", "mariadb", "sqlite_server"])
def test_json_round_trip(which, request):
    server = request.getfixturevalue(which)
    text = json.dumps(server.to_json(), sort_keys=True)
    again = LearnedServer.from_json(json.loads(text))
    assert again == server
    assert again.to_json() == server.to_json()


def test_security_facts_postgresql(pg, pg_scram_url, pg_url):
    assert pg.fact("current_user").supported["current_user"] == "nublox_admin"
    assert pg.fact("role_attributes").supported["rolsuper"] is True
    assert "scram-sha-256" in pg.fact("auth_methods_offered").supported
    assert pg.auth_plugin.startswith("SCRAM-SHA-256")
    limited = learn(pg_scram_url)
    assert limited.fact("role_attributes").supported["rolsuper"] is False
    hba = limited.fact("auth_methods_offered")
    assert hba.supported is None  # undecided, not "unsupported"
    assert hba.evidence.error["sqlstate"] == "42501"


def test_security_facts_mariadb_mask_password_hashes(mariadb_native_url):
    server = learn(mariadb_native_url)
    grants = server.fact("grants")
    assert grants.supported and all(isinstance(g, str) for g in grants.supported)
    text = json.dumps(server.to_json())
    assert not re.search(r"\*[0-9A-F]{40}", text), "a password hash leaked"
    assert "IDENTIFIED BY PASSWORD '****'" in " ".join(grants.supported)
    assert "mysql_native_password" in server.fact("auth_plugins_offered").supported
    assert server.auth_plugin == "mysql_native_password"


def test_tls_facts(mariadb_url, test_ca_file):
    server = learn(f"{mariadb_url}?sslmode=verify-full&sslrootcert={test_ca_file}")
    assert server.tls["verified"] is True
    assert server.tls["version"].startswith("TLS")
    assert re.fullmatch(r"[0-9a-f]{64}", server.tls["cert_sha256"])
    plain = learn(f"{mariadb_url}?sslmode=disable")
    assert plain.tls is None

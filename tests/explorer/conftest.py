"""Fixtures for the explorer and connection pages: a local secret store under tmp_path,
a connection holding a learned 1,000-table database (built from engine.ir records) and a
small one, and a stored capability matrix with evidence."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.connections import actions
from apps.connections.models import Connection
from apps.studio.explore import snapshots
from tests.explorer.factory import make_snapshot, store_snapshot

BIG = 1000


@pytest.fixture(autouse=True)
def _fresh_snapshot_cache():
    cache.clear()
    snapshots.forget_all()
    yield
    snapshots.forget_all()


@pytest.fixture(scope="session")
def big_snapshot():
    return make_snapshot(BIG)


CAPABILITIES = {
    "family": "postgresql",
    "flavour": "postgresql",
    "version": "15.18",
    "endpoint": "db.example.com:5432",
    "dialect": "postgres",
    "handshake": {"parameters": {"server_encoding": "UTF8"}},
    "capabilities": {
        "cte": {
            "name": "cte",
            "supported": True,
            "description": "WITH queries",
            "evidence": {
                "method": "query",
                "query": ["BEGIN", "WITH t(x) AS (SELECT 1) SELECT x FROM t", "ROLLBACK"],
                "statement": "WITH t(x) AS (SELECT 1) SELECT x FROM t",
                "answer": 1,
                "error": None,
                "elapsed_ms": 2.2,
                "note": "",
            },
        },
        "check_constraints_enforced": {
            "name": "check_constraints_enforced",
            "supported": None,
            "description": "CHECK constraints reject bad rows",
            "evidence": {
                "method": "rollback",
                "query": "CREATE TEMP TABLE probe (x int CHECK (x > 0))",
                "answer": None,
                "error": {"sqlstate": "42501", "message": "permission denied for schema pg_temp"},
                "elapsed_ms": 1.0,
                "note": "",
            },
        },
    },
    "facts": {},
    "security": {"tls": {"version": "TLSv1.3", "verified": True}, "auth_plugin": "SCRAM"},
}


@pytest.fixture
def explored(world, big_snapshot):
    """acme's "warehouse" connection: database "big" (1,000 tables, a chain of foreign
    keys) and database "small" (3 tables), learned, with a capability matrix."""
    owner = world.users["owner"]
    conn = actions.do_create_connection(
        world.acme, owner, "warehouse", "postgresql://app@db.example.com:5432/big", "s3cret-pw"
    )
    Connection.objects.filter(pk=conn.pk).update(capability_json=CAPABILITIES, status="ok")
    conn.refresh_from_db()
    big = store_snapshot(conn, "big", big_snapshot)
    # the big one is parsed once per session, not once per test (test_snapshots covers the
    # cold path): the cache holds what ir.loads would give back
    cache.set(snapshots.cache_key(big.latest_id), big_snapshot)
    store_snapshot(conn, "small", make_snapshot(3))
    return conn

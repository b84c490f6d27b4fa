"""A stored snapshot is parsed once per (database, profile hash): a re-learn that changes
it is seen at once, an unchanged one is never re-read."""

from __future__ import annotations

from unittest import mock

from django.core.cache import cache

from apps.connections.models import Connection
from apps.studio.explore import snapshots
from engine import ir
from tests.explorer.factory import make_snapshot, store_snapshot


def test_parsed_once_per_hash_and_again_after_a_relearn(world):
    conn = Connection.objects.get(workspace=world.acme, name="main")
    db = store_snapshot(conn, "shop", make_snapshot(4))
    row = snapshots.databases_of(conn).get()
    with mock.patch.object(snapshots.ir, "loads", wraps=ir.loads) as loads:
        first = snapshots.catalog_for(row)
        assert snapshots.catalog_for(row) is first
        snapshots.forget_all()  # another process: Django's cache still has it
        assert snapshots.catalog_for(row).snapshot == first.snapshot
        assert loads.call_count == 1
        assert len(first.snapshot.tables) == 4

        bigger = make_snapshot(6)
        db = store_snapshot(conn, db.name, bigger)  # learned again: a new snapshot row
        again = snapshots.catalog_for(snapshots.databases_of(conn).get())
        assert loads.call_count == 2 and len(again.snapshot.tables) == 6
    assert cache.get(snapshots.cache_key(db.latest_id)) == bigger


def test_a_database_never_learned_has_no_catalog(world):
    conn = Connection.objects.get(workspace=world.acme, name="main")
    row = conn.databases.create(name="pending")
    assert snapshots.catalog_for(row) is None

"""A stored snapshot, parsed once per Snapshot row (rows never change).

`ir.loads` rebuilds every record (the JSON Schema check is skipped: the platform wrote the
text itself): still a few hundred ms for a 1,000-table database, too slow per request. The
parsed Snapshot goes to Django's cache (shared between processes when the cache is) and,
with the lookups the pages need, to a small per-process memo in front of it (no unpickling
at all on a hot page). A re-learn that changes the schema points the database at a new
row, so it is never served stale, and the MBs of JSON text are only read from the
database on a miss.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.core.cache import cache

from apps.connections.models import DatabaseSchema, Snapshot
from apps.studio.explore.catalog import Catalog
from engine import ir

CACHE_SECONDS = 24 * 3600
MEMO_SIZE = 8

_memo: OrderedDict[str, Catalog] = OrderedDict()
_lock = threading.Lock()


def databases_of(connection):
    """The connection's databases (their schemas stay in Snapshot rows until needed)."""
    return connection.databases.all()


def cache_key(snapshot_id: int) -> str:
    return f"explore:snapshot:{snapshot_id}"


def catalog_for(schema: DatabaseSchema) -> Catalog | None:
    """The Catalog of a learned database's latest snapshot, or None if never learned."""
    return catalog_of(schema.latest_id) if schema.latest_id else None


def catalog_of(snapshot_id: int) -> Catalog | None:
    """The Catalog of one stored snapshot, or None if there is no such row."""
    key = cache_key(snapshot_id)
    with _lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key]
    snapshot = cache.get(key)
    if snapshot is None:
        text = Snapshot.objects.filter(pk=snapshot_id).values_list("profile_json", flat=True)
        text = text.first()
        if not text:
            return None
        snapshot = ir.loads(text, trusted=True)
        cache.set(key, snapshot, CACHE_SECONDS)
    catalog = Catalog(snapshot)
    with _lock:
        _memo[key] = catalog
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return catalog


def forget_all() -> None:
    """Empty the per-process memo (tests; Django's cache is cleared on its own)."""
    with _lock:
        _memo.clear()

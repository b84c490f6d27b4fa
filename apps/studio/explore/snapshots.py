"""A stored snapshot, parsed once per (DatabaseSchema id, profile hash).

`ir.loads` rebuilds every record (the JSON Schema check is skipped: the platform wrote the
text itself): still a few hundred ms for a 1,000-table database, too slow per request. The
parsed Snapshot goes to Django's cache (shared between processes when the cache is) and,
with the lookups the pages need, to a small per-process memo in front of it (no unpickling
at all on a hot page). The profile hash is part of the key, so a re-learn that changes the
schema is never served stale, and the MBs of JSON text are only read from the database on
a miss.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.core.cache import cache

from apps.connections.models import DatabaseSchema
from apps.studio.explore.catalog import Catalog
from engine import ir

CACHE_SECONDS = 24 * 3600
MEMO_SIZE = 8

_memo: OrderedDict[str, Catalog] = OrderedDict()
_lock = threading.Lock()


def databases_of(connection):
    """The connection's databases without their (possibly huge) profile text."""
    return connection.databases.defer("profile_json")


def cache_key(schema_id: int, profile_hash: str) -> str:
    return f"explore:snapshot:{schema_id}:{profile_hash}"


def catalog_for(schema: DatabaseSchema) -> Catalog | None:
    """The Catalog of a learned database, or None if it was never learned."""
    if not schema.profile_hash:
        return None
    key = cache_key(schema.pk, schema.profile_hash)
    with _lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key]
    snapshot = cache.get(key)
    if snapshot is None:
        row = DatabaseSchema.objects.filter(pk=schema.pk).values_list(
            "profile_json", "profile_hash"
        )
        text, stored_hash = row.first() or ("", "")
        if not text:
            return None
        snapshot = ir.loads(text, trusted=True)
        key = cache_key(schema.pk, stored_hash)
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

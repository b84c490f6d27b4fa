"""The profile hash: one short value that is equal exactly when two schemas are.

It is sha256 over the canonical JSON (engine.ir.canonical) with `source`, `stats` and
each column's `raw_type` left out, written compactly with sorted keys. Since the
canonical form sorts every unordered collection and stores SQL fragments normalised, the
hash does not depend on the order objects were created in, on which server holds them, or
on how a server echoes a default; it changes with any change in a name, type, default,
constraint, index, view definition or predicate. The format string is hashed too: a new
snapshot format version gives new hashes on purpose (old and new are not comparable).

`column_order=False` sorts each table's columns by name first, for the planner's
"equal, column order aside" check.
"""

from __future__ import annotations

import dataclasses
import hashlib

from engine.ir.canonical import (
    hash_text,
    hash_text_records,
    hash_texts_both_orders,
    to_json,
    with_tables,
)
from engine.ir.model import Snapshot

#: the last (snapshot, columns_by_name(snapshot)) pairs: a plan asks for both sides'
#: column-order-aside form twice (its unordered hash and its per-object digests)
_BY_NAME: list[tuple[Snapshot, Snapshot]] = []


def _by_name(t):
    names = [c.name for c in t.columns]
    if names == sorted(names):
        return t
    return dataclasses.replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name)))


def columns_by_name(snapshot: Snapshot) -> Snapshot:
    for known, out in _BY_NAME:
        if known is snapshot:
            return out
    out = with_tables(snapshot, tuple(_by_name(t) for t in snapshot.tables))
    _BY_NAME[:] = [(snapshot, out), *_BY_NAME[:1]]
    return out


def profile_hash_records(
    snapshot: Snapshot, *, column_order: bool = True
) -> tuple[str, dict[str, list[str]]]:
    """`profile_hash(...)` and each record's compact text in the hashed document
    (`canonical.hash_text_records`), for per-object digests without a second pass."""
    if not column_order:
        snapshot = columns_by_name(snapshot)
    for known, answer in _RECORDS:
        if known is snapshot:
            return answer
    text, records = hash_text_records(snapshot)
    answer = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest(), records
    _RECORDS[:] = [(snapshot, answer)]
    return answer


#: the last answer of profile_hash_records (a plan's target side is hashed this way while
#: the other side is still being learned, then asked again by make_plan)
_RECORDS: list[tuple[Snapshot, tuple[str, dict[str, list[str]]]]] = []


def hash_document(snapshot: Snapshot, *, column_order: bool = True) -> dict:
    """The exact document the hash covers (handy to diff when two hashes differ)."""
    if not column_order:
        snapshot = columns_by_name(snapshot)
    doc = to_json(snapshot)
    doc.pop("source", None)
    doc.pop("stats", None)
    for table in doc["tables"]:
        for column in table["columns"]:
            column.pop("raw_type", None)  # the server's words; `type` is what counts
    return doc


def profile_hash(snapshot: Snapshot, *, column_order: bool = True) -> str:
    """ "sha256:<64 hex>" of the snapshot's schema (never of its source or stats).

    The text hashed is `json.dumps(hash_document(...), sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`, written directly from the records by `canonical.hash_text`."""
    if not column_order:
        snapshot = columns_by_name(snapshot)
    text = hash_text(snapshot)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def profile_hashes(snapshot: Snapshot) -> tuple[str, str, dict[str, list[str]]]:
    """`profile_hash(s)` and `profile_hash_records(s, column_order=False)` (hash, record
    texts) from one pass over the records (`canonical.hash_texts_both_orders`): what a
    plan asks of a side it learned, for half the cost of the two calls."""
    text, text_aside, records = hash_texts_both_orders(snapshot)
    return _sha(text), _sha(text_aside), records


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()

"""What apply checks before it touches anything: guardrails, and drift shown as changes.

Guardrails refuse (PlanRefused, nothing changed) rather than warn: a DATA_LOSS operation
needs `allow_destructive`, every hazard the plan carries must be in `accept_hazards`, and
the policy hook may veto. Drift is shown as a short structural comparison (what was added,
removed or changed, down to columns and constraints) because a bare "hash mismatch" tells
an operator nothing about what to do next.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from engine.errors import PlanRefused
from engine.ir import hash_document, profile_hash
from engine.ir.canonical import from_json
from engine.ir.model import Snapshot
from engine.planner.model import Plan

#: objects the tool owns in a target; never part of the user's schema (FLO drops them too)
TOOL_PREFIX = "_sqlx_"
#: top-level collections of a hash document, and the list fields of a table compared by name
COLLECTIONS = (
    "namespaces",
    "extensions",
    "types",
    "sequences",
    "tables",
    "views",
    "routines",
    "triggers",
)
TABLE_LISTS = ("columns", "indexes", "uniques", "foreign_keys", "checks")
MAX_DRIFT_LINES = 40
#: the fields that name an object (as `_key` reads them from a hash document item)
KEY_FIELDS = ("schema", "table", "name", "arguments")


# -- guardrails --------------------------------------------------------------------------


def check_guardrails(
    plan: Plan,
    *,
    allow_destructive: bool,
    accept_hazards: Iterable[str],
    policy: Callable[[Plan], list[str]] | None,
) -> None:
    """Raise PlanRefused naming every reason at once (so one round of flags is enough)."""
    reasons: list[str] = []
    details: dict[str, Any] = {}
    destructive = [op.id for op in plan.operations if "DATA_LOSS" in op.hazards]
    if destructive and not allow_destructive:
        details["destructive"] = destructive
        reasons.append(
            f"destructive operations {', '.join(destructive)} drop data: "
            "pass allow_destructive (--allow-destructive) to run them"
        )
    accepted = set(accept_hazards)
    if not allow_destructive:
        accepted.discard("DATA_LOSS")  # accepted only through allow_destructive
    else:
        accepted.add("DATA_LOSS")
    missing: dict[str, list[str]] = {}
    for op in plan.operations:
        for hazard in op.hazards:
            if hazard not in accepted and hazard != "DATA_LOSS":
                missing.setdefault(hazard, []).append(op.id)
    if missing:
        details["hazards"] = missing
        listed = "; ".join(f"{h} ({', '.join(ids)})" for h, ids in sorted(missing.items()))
        reasons.append(f"hazards not accepted: {listed}")
    if policy is not None:
        vetoes = [str(v) for v in policy(plan) or ()]
        if vetoes:
            details["policy"] = vetoes
            reasons.append("policy: " + "; ".join(vetoes))
    if reasons:
        raise PlanRefused("apply refused: " + " | ".join(reasons), **details)


# -- the live schema ---------------------------------------------------------------------


def without_tool_objects(snapshot: Snapshot) -> Snapshot:
    """The snapshot minus `_sqlx_*` tables and triggers (journal, shadow copies), in case
    the family's catalog data does not drop them yet."""
    tables = tuple(t for t in snapshot.tables if not t.name.startswith(TOOL_PREFIX))
    triggers = tuple(
        g
        for g in snapshot.triggers
        if not g.name.startswith(TOOL_PREFIX) and not (g.table or "").startswith(TOOL_PREFIX)
    )
    sequences = tuple(
        s for s in snapshot.sequences if not (s.owned_by or "").startswith(TOOL_PREFIX)
    )
    if (tables, triggers, sequences) == (snapshot.tables, snapshot.triggers, snapshot.sequences):
        return snapshot
    return dataclasses.replace(snapshot, tables=tables, triggers=triggers, sequences=sequences)


@dataclasses.dataclass(frozen=True)
class Live:
    snapshot: Snapshot
    hash: str
    hash_unordered: str


def learn_live(session: Any, database: str) -> Live:
    from engine.flo import learn_database

    snapshot = without_tool_objects(learn_database(session, database).snapshot)
    return Live(snapshot, profile_hash(snapshot), profile_hash(snapshot, column_order=False))


def plan_snapshot(plan: Plan, side: str) -> Snapshot | None:
    """The snapshot a plan was computed from ("from") or towards ("to"), when the plan
    carries it in `plan.source[side]["snapshot"]` (a Snapshot or its canonical JSON)."""
    value = (plan.source.get(side) or {}).get("snapshot") if isinstance(plan.source, dict) else None
    if value is None or isinstance(value, Snapshot):
        return value
    try:
        return from_json(value)
    except Exception:  # a snapshot we cannot read only costs the detail
        return None


# -- drift -------------------------------------------------------------------------------


def _key(item: dict) -> str:
    parts = [item.get("schema") or "", item.get("table") or "", item.get("name") or ""]
    name = ".".join(p for p in parts if p)
    if item.get("arguments"):
        name += f"({item['arguments']})"
    return name or str(item.get("columns") or "?")


def _by_key(items: list[dict]) -> dict[str, dict]:
    return {_key(i): i for i in items}


def _changed_fields(old: dict, new: dict, skip: Iterable[str] = ()) -> list[str]:
    out = []
    for name in sorted(set(old) | set(new)):
        if name in skip or old.get(name) == new.get(name):
            continue
        a, b = old.get(name), new.get(name)
        if isinstance(a, list | dict) or isinstance(b, list | dict):
            out.append(name)
        else:
            out.append(f"{name} {a!r} -> {b!r}")
    return out


def _compare_lists(where: str, kind: str, old: list[dict], new: list[dict]) -> list[str]:
    before, after = _by_key(old), _by_key(new)
    lines = [f"{kind} {where}.{k} added" for k in sorted(after.keys() - before.keys())]
    lines += [f"{kind} {where}.{k} removed" for k in sorted(before.keys() - after.keys())]
    for k in sorted(before.keys() & after.keys()):
        fields = _changed_fields(before[k], after[k])
        if fields:
            lines.append(f"{kind} {where}.{k} changed: {', '.join(fields)}")
    return lines


def describe_drift(expected: Snapshot, live: Snapshot) -> list[str]:
    """What differs between the schema a plan expects and the live one, one line per
    object, deepest for tables (columns, indexes, constraints); at most MAX_DRIFT_LINES."""
    want, have = hash_document(expected), hash_document(live)
    lines: list[str] = []
    for coll in COLLECTIONS:
        kind = coll[:-1] if coll.endswith("s") else coll
        before, after = _by_key(want.get(coll, [])), _by_key(have.get(coll, []))
        lines += [f"{kind} {k} added" for k in sorted(after.keys() - before.keys())]
        lines += [f"{kind} {k} removed" for k in sorted(before.keys() - after.keys())]
        for k in sorted(before.keys() & after.keys()):
            old, new = before[k], after[k]
            if old == new:
                continue
            if coll != "tables":
                lines.append(f"{kind} {k} changed: {', '.join(_changed_fields(old, new))}")
                continue
            for name in TABLE_LISTS:
                item = name[:-1] if name != "indexes" else "index"
                lines += _compare_lists(k, item, old.get(name, []), new.get(name, []))
            if [c["name"] for c in old["columns"]] != [c["name"] for c in new["columns"]] and (
                sorted(c["name"] for c in old["columns"])
                == sorted(c["name"] for c in new["columns"])
            ):
                lines.append(f"table {k} changed: column order")
            rest = _changed_fields(old, new, skip=TABLE_LISTS)
            if rest:
                lines.append(f"table {k} changed: {', '.join(rest)}")
    if len(lines) > MAX_DRIFT_LINES:
        more = len(lines) - MAX_DRIFT_LINES
        lines = [*lines[:MAX_DRIFT_LINES], f"... and {more} more"]
    return lines


def object_digests(snapshot: Snapshot, records: dict[str, list[str]] | None = None) -> dict:
    """ "<kind> <key>" -> a short digest of that object's part of the hash document.

    Plans carry these for both sides instead of whole snapshots (a 1,000-table snapshot is
    megabytes; its digests are tens of kilobytes), which is enough to say WHICH objects
    drifted; the field-level detail comes from a snapshot when one is at hand.
    `records`: the texts `profile_hash_records(snapshot, column_order=False)` gave, when
    the caller hashed that document already (each object is then written once)."""
    from engine.ir.canonical import sort_snapshot
    from engine.ir.hashing import columns_by_name, profile_hash_records

    snap = sort_snapshot(columns_by_name(snapshot))  # column order aside, as verification
    if records is None:
        records = profile_hash_records(snap)[1]
    out = {}
    sha256 = hashlib.sha256
    for coll in COLLECTIONS:
        kind = coll[:-1] if coll.endswith("s") else coll
        for item, text in zip(getattr(snap, coll), records[coll], strict=True):
            key = _key(
                {f: getattr(item, f, None) for f in ("schema", "table", "name", "arguments")}
            )
            out[f"{kind} {key}"] = sha256(text.encode()).hexdigest()[:16]
    return out


def describe_digest_drift(expected: dict[str, str], live: Snapshot) -> list[str]:
    """Object-level drift from a plan's digests: added, removed, changed objects."""
    have = object_digests(live)
    lines = [f"{k} added" for k in sorted(have.keys() - expected.keys())]
    lines += [f"{k} removed" for k in sorted(expected.keys() - have.keys())]
    lines += [
        f"{k} changed" for k in sorted(expected.keys() & have.keys()) if expected[k] != have[k]
    ]
    if len(lines) > MAX_DRIFT_LINES:
        more = len(lines) - MAX_DRIFT_LINES
        lines = [*lines[:MAX_DRIFT_LINES], f"... and {more} more"]
    return lines


def drift_lines(plan: Plan, side: str, expected: Snapshot | None, live: Snapshot) -> tuple:
    """What differs from the plan's `side`: in detail from a snapshot, else by object."""
    if expected is not None:
        return tuple(describe_drift(expected, live))
    digests = plan_digests(plan, side)
    return tuple(describe_digest_drift(digests, live)) if digests is not None else ()


def only_column_order(plan: Plan, live: Live) -> bool:
    """Does the live schema differ from the plan's source in column order only? The plan's
    statements name columns, never positions, so it still applies as planned (and apply's
    verification compares column order aside too)."""
    digests = plan_digests(plan, "from")
    return digests is not None and not describe_digest_drift(digests, live.snapshot)


def plan_digests(plan: Plan, side: str) -> dict[str, str] | None:
    value = (plan.source.get(side) or {}).get("objects") if isinstance(plan.source, dict) else None
    return value if isinstance(value, dict) else None


def summarize(snapshot: Snapshot) -> str:
    tables = [".".join(p for p in (t.schema, t.name) if p) for t in snapshot.tables]
    shown = ", ".join(tables[:20]) + (f" and {len(tables) - 20} more" if len(tables) > 20 else "")
    return f"{len(tables)} tables ({shown or 'none'}), {len(snapshot.views)} views"


def drift_refusal(
    plan: Plan, live: Live, expected: Snapshot | None, what: str, side: str = "from"
) -> PlanRefused:
    """PlanRefused showing what drifted from `expected`: the plan's source (side "from")
    or, for a rollback, its target (side "to")."""
    want = plan.source_hash if side == "from" else plan.target_hash
    words = "was computed from" if side == "from" else "leads to"
    digests = plan_digests(plan, side)
    if expected is None and digests is not None:
        lines = describe_digest_drift(digests, live.snapshot) or [
            "no object-level difference found (the hashes differ in a detail)"
        ]
    elif expected is not None:
        lines = describe_drift(expected, live.snapshot) or [
            "no structural difference found (the hashes differ in a detail: compare "
            "engine.ir.hash_document of both)"
        ]
    else:
        lines = [
            f"the plan does not carry its {side!r} snapshot, so only the live side is shown: "
            + summarize(live.snapshot)
        ]
    message = (
        f"{what}: the live schema hashes to {live.hash}, the plan {words} {want}. "
        "Drift:\n  " + "\n  ".join(lines)
    )
    drift = {"expected": want, "live": live.hash, "changes": lines}
    return PlanRefused(message, drift=drift)

"""Putting drafted operations in the order they can run, the same order every time.

Each draft has a `phase`: the coarse order every migration follows. Triggers and views that
go (or are recreated) are dropped first, so their rollbacks, which run after the renames are
undone, find the names their source text uses; then declared renames (every later statement
names objects as the desired schema does); drops of foreign keys, constraints, indexes;
types and sequences; table changes; indexes and constraints; foreign keys; views; routines;
triggers; and last the drops of tables (referrers first) and of the routines, sequences,
types, extensions and schemas they used. Each draft also names the object keys it
`provides` and `requires`: an edge runs from the latest provider before it to every draft
requiring the key (so a view comes after the view it reads, a table drop after the drops
of tables referencing it), plus explicit `after` edges. "Before" means an earlier phase,
or the same phase and drafted earlier (the differ drafts each phase in dependency order),
so these edges never form a cycle. The sort is Kahn's algorithm picking, among ready
drafts, the smallest (phase, sort_key): the same inputs give the same plan, byte for byte.
Ids "op-001"... are assigned in the final order; `depends_on` lists the ids of the direct
predecessors.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from engine.errors import PlanError
from engine.planner.model import Lock, ObjectRef, Operation, Step

#: phase numbers, in run order
PHASES = (
    "drop_triggers",
    "drop_views",
    "unbind_routines",
    "rename",
    "drop_foreign_keys",
    "drop_constraints",
    "drop_indexes",
    "create_namespaces",
    "create_types",
    "create_sequences",
    "tables",
    "indexes",
    "constraints",
    "foreign_keys",
    "sequence_owners",
    "views",
    "routines",
    "triggers",
    "comments",
    "drop_tables",
    "drop_routines",
    "drop_sequences",
    "drop_types",
    "drop_extensions",
    "drop_namespaces",
)
PHASE = {name: i for i, name in enumerate(PHASES)}


@dataclass
class Draft:
    """An operation before it has an id. `phase` is a name from PHASES."""

    phase: str
    kind: str
    target: ObjectRef
    steps: tuple[Step, ...]
    rollback: tuple[Step, ...] | None
    irreversible: str | None = None
    rationale: str = ""
    lock: Lock = field(default_factory=Lock)
    strategy: str = "plain"
    hazards: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    provides: frozenset = frozenset()
    requires: frozenset = frozenset()
    #: drafts (by identity) this one must follow whatever their phase
    after: list = field(default_factory=list)

    @property
    def sort_key(self) -> tuple:
        t = self.target
        return (PHASE[self.phase], t.schema, t.table or "", t.name, t.kind, self.kind)


def order(drafts: list[Draft]) -> tuple[Operation, ...]:
    """The drafts as Operations in dependency order with ids and depends_on."""
    n = len(drafts)
    rank = [(PHASE[d.phase], i) for i, d in enumerate(drafts)]
    preds: list[set[int]] = [set() for _ in range(n)]
    providers: dict[object, list[int]] = {}
    for i, d in enumerate(drafts):
        for key in d.provides:
            providers.setdefault(key, []).append(i)
    index_of = {id(d): i for i, d in enumerate(drafts)}
    for i, d in enumerate(drafts):
        for key in d.requires:
            # the latest provider before this draft: providers of one key form a chain
            before = [j for j in providers.get(key, ()) if rank[j] < rank[i]]
            if before:
                preds[i].add(max(before, key=lambda j: rank[j]))
        for other in d.after:
            j = index_of.get(id(other))
            if j is not None and j != i:
                preds[i].add(j)
    keys = [d.sort_key for d in drafts]
    succs: list[list[int]] = [[] for _ in range(n)]
    waiting = [len(p) for p in preds]
    for i, p in enumerate(preds):
        for j in p:
            succs[j].append(i)
    ready = [(keys[i], i) for i in range(n) if waiting[i] == 0]
    heapq.heapify(ready)
    out: list[int] = []
    while len(out) < n:
        if not ready:  # a cycle: release the smallest blocked draft (stable) and go on
            blocked = min((keys[i], i) for i in range(n) if waiting[i] > 0)
            waiting[blocked[1]] = 0
            ready.append(blocked)
        _, i = heapq.heappop(ready)
        if waiting[i] < 0:
            continue
        waiting[i] = -1
        out.append(i)
        for k in succs[i]:
            if waiting[k] > 0:
                waiting[k] -= 1
                if waiting[k] == 0:
                    heapq.heappush(ready, (keys[k], k))
    if len(out) != n:  # pragma: no cover - defensive
        raise PlanError("internal: operation ordering lost an operation")
    ids = {i: f"op-{pos + 1:03d}" for pos, i in enumerate(out)}
    ops = []
    for i in out:
        d = drafts[i]
        deps = tuple(sorted(ids[j] for j in preds[i] if j in ids))
        ops.append(
            Operation(
                id=ids[i],
                kind=d.kind,
                target=d.target,
                steps=d.steps,
                rollback=d.rollback,
                irreversible=d.irreversible,
                rationale=d.rationale,
                lock=d.lock,
                strategy=d.strategy,
                hazards=_hazards(d),
                depends_on=deps,
                notes=d.notes,
            )
        )
    return tuple(ops)


def _hazards(d: Draft) -> tuple[str, ...]:
    """The draft's hazards plus the two every operation derives from its own facts."""
    out = set(d.hazards)
    if d.rollback is None:
        out.add("IRREVERSIBLE")
    if d.lock.rewrites_table:
        out.add("TABLE_REWRITE")
    return tuple(sorted(out))

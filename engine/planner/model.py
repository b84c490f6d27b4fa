"""The plan: what `diff` produces, `lint` reads, `apply` runs and `rollback` undoes.

A Plan is data, not code: every operation carries the exact SQL it will run (as Steps),
the SQL that undoes it (or the reason nothing can), and the facts a DBA weighs before
saying yes (risk, lock, rewrite, hazards, strategy, timeouts). Nothing is decided at apply
time that the plan did not show; apply only executes steps and records checkpoints.

Pipeline (engine.planner.make_plan):
    diff(from, to, hints)             -> plain operations, in dependency order
    online.choose(ops, capabilities)  -> each op's steps rewritten for the chosen strategy
    risk.assess(op, context)          -> risk level/score/reasons per op
    lint.check(plan, context)         -> findings
Records are frozen; later stages return `dataclasses.replace`d copies.

Step kinds: "sql" runs `sql` as it is. Other kinds (e.g. "copy_chunks" for a shadow-table
copy, "wait_valid" for a concurrent index build) are executed by the functions registered
for them in `engine.planner.steps.EXECUTORS`; their inputs are in `params` so the plan
stays a plain JSON document and the step still shows a representative `sql`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PLAN_FORMAT = "nublox.plan/1"

#: hazards a person must accept explicitly before apply runs an operation carrying them
HAZARDS = {
    "DATA_LOSS": "drops data that the rollback cannot bring back",
    "TABLE_REWRITE": "rewrites every row of the table (time and space proportional to its size)",
    "INDEX_BUILD": "builds an index (reads the whole table)",
    "LONG_LOCK": "holds a lock that blocks writes (or reads) for longer than a moment",
    "DATA_DEPENDENT": "may fail on existing rows (NOT NULL, UNIQUE, CHECK, FK, narrower type)",
    "BACKWARD_INCOMPATIBLE": "removes or renames something clients or views may still use",
    "LOSSY_CONVERSION": "a type or value cannot be represented exactly on the target",
    "IRREVERSIBLE": "has no rollback",
    "COLUMN_ORDER": "moves a column to the end of its table (positional INSERT, SELECT * see it)",
}

RISK_LEVELS = ("low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """What an operation touches. `kind` is an IR kind ("table", "column", "index",
    "foreign_key", "unique", "check", "primary_key", "view", "materialized_view",
    "sequence", "type", "trigger", "routine", "extension", "namespace"); `table` is set
    for objects that live on a table (columns, indexes, constraints, triggers)."""

    kind: str
    schema: str
    name: str
    table: str | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.schema, self.table, self.name) if p]
        return f"{self.kind} {'.'.join(parts)}"


@dataclass(frozen=True, slots=True)
class Step:
    """One unit apply runs and checkpoints. `transactional=False` means it must run outside
    a transaction block (e.g. CREATE INDEX CONCURRENTLY); `params` are sorted (key, value)
    pairs with JSON-able values, for kinds other than "sql"."""

    sql: str
    kind: str = "sql"
    transactional: bool = True
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)


@dataclass(frozen=True, slots=True)
class Risk:
    level: str = "low"  # one of RISK_LEVELS
    score: int = 0  # 0..100
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lock:
    """The strongest lock the operation takes and for how long, in the server's words
    (PostgreSQL "ACCESS EXCLUSIVE", MySQL "metadata lock (exclusive), LOCK=NONE" ...).
    `duration` is "instant" (catalog only), "brief" or "table_size" (proportional to the
    table: a scan or a rewrite happens under it)."""

    level: str = "none"
    duration: str = "instant"
    rewrites_table: bool = False
    blocks_reads: bool = False
    blocks_writes: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    """One change. `id` is stable within the plan ("op-001", in plan order) and is what
    checkpoints, depends_on and the UI refer to. `rollback` is None exactly when
    `irreversible` gives the reason."""

    id: str
    kind: str  # e.g. "create_table", "add_column", "alter_column_type", "rename_column"
    target: ObjectRef
    steps: tuple[Step, ...]
    rollback: tuple[Step, ...] | None
    irreversible: str | None = None
    rationale: str = ""
    risk: Risk = field(default_factory=Risk)
    lock: Lock = field(default_factory=Lock)
    strategy: str = "plain"  # "plain", "transactional", "concurrent", "not_valid_validate",
    #                          "instant", "inplace", "shadow_copy", "table_rebuild"
    hazards: tuple[str, ...] = ()
    lock_timeout_ms: int | None = None
    statement_timeout_ms: int | None = None
    depends_on: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def sql(self) -> tuple[str, ...]:
        return tuple(s.sql for s in self.steps)

    @property
    def transactional(self) -> bool:
        return all(s.transactional for s in self.steps)


@dataclass(frozen=True, slots=True)
class Finding:
    """A lint finding: stable `code` (e.g. "NBX101"), severity ("info", "warning",
    "error"), the operation it is about (None for plan-wide findings), a message, why it
    matters, and a suggested fix."""

    code: str
    severity: str
    message: str
    operation: str | None = None
    explanation: str = ""
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Rename:
    """A declared rename: `kind` "table" or "column" (or "index", "view", "constraint");
    for a column or a constraint, `table` is the table's NEW name (a constraint's may be
    None: the table of the schema that has a constraint `old` is meant)."""

    kind: str
    schema: str
    old: str
    new: str
    table: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """Operations in the order they run. `source_hash` / `target_hash` are the profile
    hashes of the two snapshots the plan was computed from (apply refuses a target whose
    live hash is not `source_hash`; verification compares with `target_hash`, column order
    aside: `target_hash_unordered`)."""

    dialect: str
    source_hash: str
    target_hash: str
    target_hash_unordered: str
    operations: tuple[Operation, ...]
    findings: tuple[Finding, ...] = ()
    renames: tuple[Rename, ...] = ()
    #: drop + add pairs that look like renames (same type, same position); not acted on
    suspected_renames: tuple[Rename, ...] = ()
    #: capabilities the strategies were chosen from: name -> supported (with evidence text)
    capabilities: dict = field(default_factory=dict, compare=False)
    #: descriptions of both sides: {"from": {...}, "to": {...}}, tool version, created_at
    source: dict = field(default_factory=dict, compare=False)
    format: str = PLAN_FORMAT

    def operation(self, op_id: str) -> Operation | None:
        return next((o for o in self.operations if o.id == op_id), None)

    @property
    def hazards(self) -> tuple[str, ...]:
        return tuple(sorted({h for o in self.operations for h in o.hazards}))

    @property
    def reversible(self) -> bool:
        return all(o.rollback is not None for o in self.operations)


@dataclass(frozen=True, slots=True)
class PlanContext:
    """What every stage may consult besides the operations themselves.

    `capabilities`: capability name -> `supported` value as FLO learned it (see
    transports/flo/<family>/probes.json: "transactional_ddl", "concurrent_index_build",
    "instant_add_column", ...); empty when planning offline (then strategies stay
    conservative and say so in their notes). `table_rows` / `table_bytes`: estimates per
    (schema, table) from the source snapshot's stats (empty offline). `large_table_rows`:
    the size from which a table counts as large for risk and lint.
    """

    dialect: str
    from_snapshot: Any  # engine.ir.model.Snapshot
    to_snapshot: Any  # engine.ir.model.Snapshot
    capabilities: dict = field(default_factory=dict)
    table_rows: dict = field(default_factory=dict)
    table_bytes: dict = field(default_factory=dict)
    large_table_rows: int = 100_000
    renames: tuple[Rename, ...] = ()
    #: lossy mappings when the two sides were different dialects (engine.ir.convert Loss
    #: records: `.path`, `.what`, `.why`); lint reports each as a LOSSY_CONVERSION finding
    losses: tuple = ()

    def rows(self, schema: str, table: str) -> int | None:
        return self.table_rows.get((schema, table))

    def is_large(self, schema: str, table: str) -> bool:
        rows = self.rows(schema, table)
        return rows is not None and rows >= self.large_table_rows

"""Lint: findings a DBA should read before saying yes to a plan.

Each rule in RULES has a stable code (NBX + three digits: 0xx plan integrity, 1xx
destructive, 2xx data-dependent, 3xx compatibility, 4xx locks and rewrites, 5xx review),
a severity, whether it is high-risk (what `--strict` blocks), an explanation and a fix; the
catalogue is documented rule by rule in docs/lint.md (a test keeps the two in step). A rule
is a function from the plan (and the PlanContext: both snapshots, table sizes) to
(operation id, message) pairs; `check` runs them all and returns the findings in plan order.

Rules look at what an operation does through its target kind, the verb its kind starts
with ("add_", "create_", "drop_", "rename_", "alter_" ...), its hazards, lock and strategy,
and the two snapshots -- never at a family name.

Blocking (`has_blocking`): an "error" always blocks; with `strict`, a "warning" from a rule
marked high-risk blocks too (and a warning with a code this version does not know, to be
safe). "info" never blocks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from engine.planner.hints import HINT
from engine.planner.lint_facts import (
    ADD_VERBS,
    CONSTRAINT_KINDS,
    DROP_VERBS,
    ONLINE_INDEX_STRATEGIES,
    RENAME_VERBS,
    UNIQUE_KINDS,
    VIEW_KINDS,
    Scan,
    dotted,
    verb,
)
from engine.planner.model import HAZARDS, RISK_LEVELS, Finding, Operation, Plan, PlanContext
from engine.planner.risk import table_of

SEVERITIES = ("info", "warning", "error")

# --- the catalogue --------------------------------------------------------------------------

Hit = tuple  # (operation id | None, message) or (operation id | None, message, fix)


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    severity: str
    high_risk: bool
    explanation: str
    fix: str
    run: Callable[[Scan], Iterable[Hit]] = field(compare=False, repr=False)


RULES: list[Rule] = []


def rule(code: str, title: str, severity: str, high_risk: bool, explanation: str, fix: str):
    def decorate(fn: Callable[[Scan], Iterable[Hit]]) -> Callable[[Scan], Iterable[Hit]]:
        RULES.append(Rule(code, title, severity, high_risk, explanation, fix, fn))
        return fn

    return decorate


@rule(
    "NBX001", "Inconsistent operation", "error", True,
    "The plan contradicts itself: an operation without rollback and without the reason, "
    "one with both, an unknown hazard or risk level, a duplicate id, or a dependency on an "
    "operation that is not in the plan. Apply could not keep its promises for it.",
    "Recompute the plan with `sqlx plan:diff`; do not edit plan files by hand.",
)  # fmt: skip
def _integrity(scan: Scan) -> Iterator[Hit]:
    seen: set[str] = set()
    ids = {o.id for o in scan.plan.operations}
    for op in scan.plan.operations:
        if op.id in seen:
            yield op.id, f"{op.id} appears twice in the plan"
        seen.add(op.id)
        if op.rollback is None and not op.irreversible:
            yield op.id, f"{op.id} has no rollback and does not say why"
        if op.rollback is not None and op.irreversible:
            yield op.id, f"{op.id} has a rollback yet says it is irreversible"
        for name in op.hazards:
            if name not in HAZARDS:
                yield op.id, f"{op.id} carries unknown hazard {name!r}"
        if op.risk.level not in RISK_LEVELS:
            yield op.id, f"{op.id} has unknown risk level {op.risk.level!r}"
        for dep in op.depends_on:
            if dep not in ids:
                yield op.id, f"{op.id} depends on {dep}, which is not in the plan"


@rule(
    "NBX101", "Table dropped", "warning", True,
    "Dropping a table deletes every row in it; the rollback can recreate the table but not "
    "its data.",
    "Make sure nothing needs the data (back it up or copy it elsewhere first), then apply "
    "with --allow-destructive. If the table was renamed, declare the rename instead.",
)  # fmt: skip
def _drop_table(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        if verb(op) in DROP_VERBS and op.target.kind == "table":
            name = dotted(op.target.schema, op.target.name)
            rows = scan.rows_text(op.target.schema, op.target.name)
            yield op.id, f"{op.id} drops table {name}{rows} and the data in it"


@rule(
    "NBX102", "Column data dropped", "warning", True,
    "Dropping a column (or rebuilding a table without it) deletes its values in every row; "
    "the rollback can add the column back, empty.",
    "Copy the values elsewhere first if anything may need them, then apply with "
    "--allow-destructive. If the column was renamed, declare the rename instead.",
)  # fmt: skip
def _drop_column(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        where = table_of(op)
        if op.target.kind == "column" and (verb(op) in DROP_VERBS or "DATA_LOSS" in op.hazards):
            name = dotted(op.target.schema, op.target.table, op.target.name)
            yield op.id, f"{op.id} drops the values of column {name}"
        elif op.target.kind == "table" and "DATA_LOSS" in op.hazards and verb(op) != "drop":
            old, new = scan.old_table(*where), scan.new_table(*where)
            kept = {scan.column_renames.get((*where, c.name), c.name) for c in new.columns} if (
                new) else set()  # fmt: skip
            lost = [c.name for c in old.columns if c.name not in kept] if old else []
            what = f"column(s) {', '.join(lost)}" if lost else "data"
            yield op.id, f"{op.id} rebuilds {dotted(*where)} and drops {what}"


@rule(
    "NBX103", "Constraint dropped", "warning", False,
    "Dropping a primary key, unique, foreign key or check constraint removes a guarantee "
    "the data had; rows that break it can be written from then on.",
    "Check that no code relies on the constraint (upserts on a unique key, cascades), or keep it.",
)  # fmt: skip
def _drop_constraint(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        if verb(op) in DROP_VERBS and op.target.kind in CONSTRAINT_KINDS:
            t = scan.new_table(op.target.schema, op.target.table or "")
            if t is not None and _has_constraint(t, op.target.kind, op.target.name):
                continue  # dropped to be recreated changed: another rule judges the new one
            yield op.id, f"{op.id} drops {op.target.kind.replace('_', ' ')} {op.target.name}"


def _has_constraint(table, kind: str, name: str) -> bool:
    if kind == "primary_key":
        return table.primary_key is not None
    found = {"unique": table.uniques, "foreign_key": table.foreign_keys, "check": table.checks}
    return any(c.name == name for c in found.get(kind, ()))


@rule(
    "NBX201", "NOT NULL on existing rows", "warning", True,
    "Making a column NOT NULL (or adding a NOT NULL column without a default) fails if any "
    "existing row has no value, and the check scans the whole table under a lock.",
    "Backfill the NULLs first (UPDATE ... WHERE col IS NULL, in batches), or give the new "
    "column a default.",
)  # fmt: skip
def _not_null(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        if "nullable" not in scan.column_aspects(op):
            continue
        for schema, table, old, new in scan.column_changes(op):
            name = dotted(schema, table, new.name)
            if old is not None and old.nullable and not new.nullable:
                yield op.id, f"{op.id} makes {name} NOT NULL on existing rows"
            elif (
                old is None
                and not new.nullable
                and new.default is None
                and not (new.identity or new.generated)
            ):
                yield op.id, f"{op.id} adds NOT NULL column {name} without a default"


@rule(
    "NBX202", "UNIQUE on existing rows", "warning", True,
    "A new unique constraint, unique index or primary key on a table that has rows fails if "
    "two rows share a value.",
    "Look for duplicates first (SELECT cols, count(*) ... GROUP BY cols HAVING count(*) > 1) "
    "and resolve them.",
)  # fmt: skip
def _unique(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        where = table_of(op)
        if verb(op) not in ADD_VERBS or where is None or not scan.existing(*where):
            continue
        unique = op.target.kind in UNIQUE_KINDS
        if op.target.kind == "index":
            t = scan.new_table(*where)
            index = next((i for i in t.indexes if i.name == op.target.name), None) if t else None
            unique = index is not None and index.unique
        if unique:
            yield op.id, f"{op.id} adds a unique key ({op.target.name}) to {dotted(*where)}"


@rule(
    "NBX203", "Type narrowed", "warning", True,
    "A column type that holds less (shorter, smaller, fewer digits) or another kind of value "
    "fails or truncates on existing values that do not fit.",
    "Find the values that do not fit first (e.g. WHERE length(col) > n) and fix them, or keep "
    "the wider type.",
)  # fmt: skip
def _narrowing(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        for name, why in scan.narrowed(op):
            yield op.id, f"{op.id} changes {name}: {why}"


def _new_constraint_rule(kind: str, what: str) -> Callable[[Scan], Iterator[Hit]]:
    def run(scan: Scan) -> Iterator[Hit]:
        for op in scan.plan.operations:
            where = table_of(op)
            new = verb(op) in ADD_VERBS and op.target.kind == kind
            if new and where is not None and scan.existing(*where):
                yield op.id, f"{op.id} adds {what} {op.target.name} to {dotted(*where)}"

    return run


rule(
    "NBX204", "Foreign key on existing rows", "warning", True,
    "A new foreign key is checked against every existing row (under a lock unless it is "
    "added NOT VALID and validated after); rows without a parent make it fail.",
    "Find orphans first (LEFT JOIN the parent, WHERE parent key IS NULL) and fix or delete "
    "them; where the server can, add the key NOT VALID and VALIDATE it separately.",
)(_new_constraint_rule("foreign_key", "foreign key"))  # fmt: skip
rule(
    "NBX205", "CHECK on existing rows", "warning", True,
    "A new check constraint is evaluated on every existing row; one row that fails makes "
    "the whole change fail.",
    "Run the check as a query first (SELECT ... WHERE NOT (expr)) and fix the rows it finds.",
)(_new_constraint_rule("check", "check constraint"))  # fmt: skip


def _dropped_or_renamed(scan: Scan) -> Iterator[tuple[Operation, str, str, str | None]]:
    """(op, schema, table or view, column or None) for drops and renames of what views read."""
    for op in scan.plan.operations:
        if verb(op) not in DROP_VERBS | RENAME_VERBS:
            continue
        if op.target.kind in {"table"} | VIEW_KINDS:
            old = scan.table_renames.get((op.target.schema, op.target.name), op.target.name)
            yield op, op.target.schema, (old if verb(op) in RENAME_VERBS else op.target.name), None
        elif op.target.kind == "column" and op.target.table:
            key = (op.target.schema, op.target.table, op.target.name)
            column = scan.column_renames.get(key, op.target.name)
            table = scan.table_renames.get(key[:2], op.target.table)
            yield op, op.target.schema, table, column


@rule(
    "NBX301", "Views read what is dropped or renamed", "warning", True,
    "A view of the current schema reads the table, view or column this operation drops or "
    "renames: the view (and whoever queries it) must change with it.",
    "Check the plan recreates each named view correctly, and that the view's clients can live "
    "with the change.",
)  # fmt: skip
def _views_read(scan: Scan) -> Iterator[Hit]:
    for op, schema, table, column in _dropped_or_renamed(scan):
        readers = [
            dotted(r.schema, r.name)
            for r in scan.reads_before(table)
            if (r.schema, r.name) != (schema, table)
            and (r.reads_column(schema, table, column) if column else r.reads_table(schema, table))
        ]
        if readers:
            what = dotted(schema, table, column)
            yield op.id, f"{op.id} {verb(op)}s {what}, read by view(s) {', '.join(readers)}"


@rule(
    "NBX302", "Clients lose a name", "warning", True,
    "Renaming a table, column or view, or dropping a view, breaks every client query that "
    "still uses the old name, from the moment the change commits.",
    "Deploy client code that no longer uses the old name first (or expand-contract: add the "
    "new name, move clients, drop the old one later).",
)  # fmt: skip
def _clients(scan: Scan) -> Iterator[Hit]:
    names = {"table", "column"} | VIEW_KINDS
    for op in scan.plan.operations:
        if op.target.kind not in names:
            continue
        if verb(op) in RENAME_VERBS:
            yield op.id, f"{op.id} renames {op.target}; clients using the old name break"
        elif verb(op) in DROP_VERBS and op.target.kind in VIEW_KINDS:
            after = scan.after
            kept = after is not None and any(
                (v.schema, v.name) == (op.target.schema, op.target.name) for v in after.views
            )
            if not kept:
                yield op.id, f"{op.id} drops {op.target}; clients querying it break"


@rule(
    "NBX303", "Target view reads a dropped object", "error", True,
    "A view in the desired schema reads a table, view or column that the plan drops and does "
    "not recreate: creating that view fails, so the plan cannot apply as is.",
    "Fix the desired schema: change the view, or keep the object it reads.",
)  # fmt: skip
def _target_view_broken(scan: Scan) -> Iterator[Hit]:
    after = scan.after
    for op, schema, table, column in _dropped_or_renamed(scan):
        if verb(op) not in DROP_VERBS or after is None:
            continue
        t = after.table(schema, table)
        if column is None:
            gone = t is None and not any((v.schema, v.name) == (schema, table) for v in after.views)
        else:
            gone = t is not None and t.column(column) is None
        if not gone:
            continue
        for r in scan.reads_after(table):
            hit = (
                r.reads_column(schema, table, column, sure=True)
                if column
                else r.reads_table(schema, table)
            )
            if hit and (r.schema, r.name) != (schema, table):
                what = dotted(schema, table, column)
                yield op.id, f"{op.id} drops {what}, but view {dotted(r.schema, r.name)} reads it"


@rule(
    "NBX304", "Column order changes", "warning", False,
    "The operation's online strategy re-adds the column at the end of its table: a client "
    "that inserts without a column list, or reads SELECT * by position, sees a new order.",
    "Name the columns in client INSERTs and SELECTs first, or take the plain (blocking) "
    "change in a maintenance window: plan with --large-table-rows above the table's size.",
)  # fmt: skip
def _column_order(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        if "COLUMN_ORDER" in op.hazards:
            yield op.id, f"{op.id} moves column {op.target} to the end of its table"


@rule(
    "NBX401", "Table rewrite", "warning", True,
    "The operation rewrites every row of the table: it takes time and disk space "
    "proportional to the table, usually under a lock that blocks writes.",
    "Run it in a maintenance window, or choose an online strategy (shadow copy, instant "
    "algorithm) where the server offers one.",
)  # fmt: skip
def _rewrite(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        where = table_of(op)
        rewrites = op.lock.rewrites_table or "TABLE_REWRITE" in op.hazards
        if rewrites and where is not None and scan.existing(*where) and scan.big_or_unknown(*where):
            size = scan.rows_text(*where) or " (size unknown)"
            blocks = ", blocking writes" if op.lock.blocks_writes else ""
            yield op.id, f"{op.id} rewrites {dotted(*where)}{size}{blocks}"


def _index_build_blocking(scan: Scan, op: Operation) -> bool:
    where = table_of(op)
    builds = "INDEX_BUILD" in op.hazards or (verb(op) in ADD_VERBS and op.target.kind == "index")
    return (
        builds
        and where is not None
        and op.strategy not in ONLINE_INDEX_STRATEGIES
        and scan.existing(*where)
        and scan.ctx.is_large(*where)
    )


@rule(
    "NBX402", "Long lock", "warning", True,
    "The operation holds a lock that blocks writes (or reads) for as long as it scans the "
    "table; on a big table every writer waits that long.",
    "Use the online strategy the server offers (NOT VALID + VALIDATE, ALGORITHM=INPLACE, "
    "LOCK=NONE), or run it in a maintenance window with a lock timeout.",
)  # fmt: skip
def _long_lock(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        where = table_of(op)
        if op.lock.rewrites_table or "TABLE_REWRITE" in op.hazards:
            continue  # NBX401 says it
        if _index_build_blocking(scan, op):
            continue  # NBX403 says it
        blocking = op.lock.blocks_writes or op.lock.blocks_reads
        long = op.lock.duration == "table_size" and blocking
        if where is not None and not scan.existing(*where):
            continue  # a table created by this plan is empty
        if "LONG_LOCK" in op.hazards or (long and where and scan.big_or_unknown(*where)):
            size = scan.rows_text(*where) if where else ""
            yield op.id, f"{op.id} holds {op.lock.level} for {op.lock.duration}{size}"


@rule(
    "NBX403", "Blocking index build on a large table", "warning", True,
    "Building an index without an online method blocks writes to the table for the whole "
    "build, which on a large table can take minutes.",
    "Build it concurrently (or with ALGORITHM=INPLACE, LOCK=NONE) where the server supports "
    "it; the planner chooses that when it has learned the server's capabilities.",
)  # fmt: skip
def _index_build(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        if _index_build_blocking(scan, op):
            where = table_of(op)
            yield (
                op.id,
                (
                    f"{op.id} builds index {op.target.name} on {dotted(*where)}"
                    f"{scan.rows_text(*where)} with strategy {op.strategy!r}"
                ),
            )


def _covered(table, columns: tuple[str, ...]) -> bool:
    """Some index, primary key or unique key has exactly `columns` as leading columns."""
    want, n = set(columns), len(columns)
    keys = [tuple(p.column for p in i.parts) for i in table.indexes if i.predicate is None]
    keys += [u.columns for u in table.uniques]
    if table.primary_key:
        keys.append(table.primary_key.columns)
    return any(len(k) >= n and set(k[:n]) == want for k in keys)


@rule(
    "NBX404", "Foreign key without an index", "warning", False,
    "No index starts with the new foreign key's columns: deletes and key updates on the "
    "parent table scan the child table, and joins on the key are slow.",
    "Add an index whose leading columns are the foreign key's columns.",
)  # fmt: skip
def _fk_index(scan: Scan) -> Iterator[Hit]:
    if scan.after is None:
        return
    for t in scan.after.tables:
        old = scan.old_table(t.schema, t.name)
        old_fks = {(f.name, f.columns) for f in old.foreign_keys} if old else set()
        for fk in t.foreign_keys:
            if (fk.name, fk.columns) in old_fks or _covered(t, fk.columns):
                continue
            op_id = _op_for_fk(scan, t, fk.name)
            what = f"foreign key {fk.name}" if fk.name else "a foreign key"
            cols = ", ".join(fk.columns)
            yield op_id, f"{what} on {dotted(t.schema, t.name)} ({cols}) has no index"


def _op_for_fk(scan: Scan, table, name: str) -> str | None:
    ops = scan.plan.operations
    for op in ops:
        same = op.target.kind == "foreign_key" and op.target.name == name
        if same and op.target.table == table.name and verb(op) not in DROP_VERBS:
            return op.id
    for op in ops:
        if scan.creates_table(op) and table_of(op) == (table.schema, table.name):
            return op.id
    for op in ops:  # e.g. a table rebuild that brings the key along
        if verb(op) not in DROP_VERBS and table_of(op) == (table.schema, table.name):
            return op.id
    return None


@rule(
    "NBX501", "Looks like a rename", "warning", True,
    "A dropped and an added object match (same type and position, or same columns): if it "
    "is a rename, the plan as it stands drops the data and creates an empty object.",
    "Declare the rename so the plan keeps the data (a rename hint in the request, or a "
    "`-- sqlx:rename-from <old>` annotation in the desired-state SQL); if it is not a "
    "rename, ignore this finding.",
)  # fmt: skip
def _suspected(scan: Scan) -> Iterator[Hit]:
    for r in scan.plan.suspected_renames:
        op_id = next(
            (
                o.id
                for o in scan.plan.operations
                if verb(o) in DROP_VERBS
                and o.target.kind == r.kind
                and o.target.name == r.old
                and (r.kind != "column" or o.target.table in (r.table, None))
            ),
            None,
        )
        where = dotted(r.schema, r.table)
        old, new = (f"{where}.{r.old}", f"{where}.{r.new}") if where else (r.old, r.new)
        fix = (
            f"if {old} became {new}, declare it: `{HINT.format(old=r.old)}` "
            "(docs/planner-renames.md)"
        )
        yield op_id, f"{r.kind} {old} dropped and {new} added: a rename?", fix


@rule(
    "NBX502", "Irreversible operation", "info", False,
    "The operation has no rollback; `sqlx rollback` stops before it.",
    "Take a backup (or a copy of what it changes) before applying, if you may need to go back.",
)  # fmt: skip
def _irreversible(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        if op.rollback is None:
            yield op.id, f"{op.id} cannot be rolled back: {op.irreversible or 'no reason given'}"


@rule(
    "NBX503", "Lossy conversion", "warning", True,
    "A type or value of the source cannot be represented exactly on the target (a "
    "cross-dialect mapping, or a change that loses precision).",
    "Read the operation's notes; choose a target type that keeps the values, or accept the loss.",
)  # fmt: skip
def _lossy(scan: Scan) -> Iterator[Hit]:
    for op in scan.plan.operations:
        if "LOSSY_CONVERSION" in op.hazards and not scan.narrowed(op):  # NBX203 says it
            detail = f": {op.notes[0]}" if op.notes else ""
            yield op.id, f"{op.id} converts {op.target} with loss{detail}"
    for loss in getattr(scan.ctx, "losses", ()):  # from engine.ir.convert, cross-dialect plans
        yield None, f"lossy conversion: {_loss_text(loss)}"


def _loss_text(loss: object) -> str:
    if dataclasses.is_dataclass(loss):
        return ": ".join(str(v) for v in dataclasses.astuple(loss) if v not in (None, ""))
    return str(loss)


RULES_BY_CODE = {r.code: r for r in RULES}


# --- running ----------------------------------------------------------------------------------


def check(plan: Plan, context: PlanContext) -> tuple[Finding, ...]:
    """Every rule's findings, ordered by operation (plan-wide findings last), then code."""
    scan = Scan(plan, context)
    order = {o.id: i for i, o in enumerate(plan.operations)}
    found: dict[tuple, Finding] = {}
    for r in RULES:
        for hit in r.run(scan):
            op_id, message = hit[0], hit[1]
            fix = hit[2] if len(hit) > 2 else r.fix
            finding = Finding(r.code, r.severity, message, op_id, r.explanation, fix)
            key = (order.get(op_id, len(order)), r.code, message)
            found.setdefault(key, finding)
    return tuple(found[k] for k in sorted(found))


def is_blocking(finding: Finding, strict: bool) -> bool:
    """Errors block; with strict, warnings of high-risk (or unknown) rules block too."""
    if finding.severity == "error":
        return True
    if not strict or finding.severity != "warning":
        return False
    known = RULES_BY_CODE.get(finding.code)
    return known is None or known.high_risk


def has_blocking(findings: Iterable[Finding], strict: bool) -> bool:
    return any(is_blocking(f, strict) for f in findings)


def blocking(findings: Iterable[Finding], strict: bool) -> tuple[Finding, ...]:
    """The findings that make `sqlx lint` / `plan:diff --strict` exit non-zero."""
    return tuple(f for f in findings if is_blocking(f, strict))

"""Changing a table the family's ALTER TABLE cannot change: build it again.

The procedure is SQLite's (https://www.sqlite.org/lang_altertable.html#otheralter), written
out as plain statements so apply runs them in one transaction:

    [family "rebuild_before" statements, e.g. PRAGMA defer_foreign_keys = ON]
    CREATE TABLE _sqlx_new_<t> (... the target shape ...)
    INSERT INTO _sqlx_new_<t> (kept columns) SELECT kept columns FROM <t>
    DROP TABLE <t>
    ALTER TABLE _sqlx_new_<t> RENAME TO <t>
    CREATE INDEX ... (the target's indexes), CREATE TRIGGER ... (the target's triggers)
    [family "rebuild_after" statements]

`PRAGMA foreign_keys` is a no-op inside a transaction, so foreign keys are not switched off:
`defer_foreign_keys` postpones their checks to COMMIT, by when every reference resolves
again. Views that read the table are dropped before and recreated after by the differ (a
RENAME fails while a view names a missing table). The rollback is the same procedure back
to the source shape, unless a column goes away (its data cannot come back).

A family whose new table could not sit beside the old one (PostgreSQL: the partitions, and
the indexes behind its constraints, share one namespace with the old table's) says
`rebuild_staged` in its plan.json, and the rows go through a temporary table instead:

    CREATE TEMP TABLE _sqlx_rows_<t> AS SELECT kept columns FROM <t>
    ALTER SEQUENCE ... OWNED BY NONE      (a serial's sequence must outlive the DROP)
    DROP TABLE <t>
    CREATE TABLE <t> ... (the target shape, its partitions, foreign keys, indexes)
    INSERT INTO <t> (kept columns) OVERRIDING SYSTEM VALUE SELECT ... FROM _sqlx_rows_<t>
    ALTER SEQUENCE ... OWNED BY <t>.<column>; identity sequences set past the copied keys
    DROP TABLE _sqlx_rows_<t>; CREATE TRIGGER ...

Foreign keys of other tables that reference it are dropped before and added again after
(the DROP TABLE would refuse them). With transactional DDL it all runs in one transaction.
"""

from __future__ import annotations

from engine.ir import model
from engine.planner.diff_base import Ctx, ref
from engine.planner.model import Step
from engine.planner.order import Draft

NEW_PREFIX = "_sqlx_new_"


def _owned(snapshot: model.Snapshot, t: model.Table) -> list[tuple[model.Sequence, str]]:
    """(sequence, column) for the sequences owned by a column of `t` (serial columns)."""
    out = []
    for seq in snapshot.sequences:
        table, _, column = (seq.owned_by or "").rpartition(".")
        if seq.schema == t.schema and table == t.name and t.column(column) is not None:
            out.append((seq, column))
    return out


def _staged(cx: Ctx, src: model.Table, dst: model.Table, triggers, sides) -> tuple[Step, ...]:
    """The staged procedure (module doc); `sides` = (source snapshot, target snapshot)."""
    gen, spec = cx.gen, cx.gen.raw("rebuild_staged")
    qname = gen.qn(dst.schema, dst.name)
    src_names = {c.name for c in src.columns}
    kept = [c.name for c in dst.columns if c.name in src_names and c.generated is None]
    values = {
        "table": gen.qn(src.schema, src.name),
        "stage": gen.q(spec["stage"].format(table_name=dst.name)),
        "columns": gen.cols(kept),
    }
    sql: list[str] = list(gen.raw("rebuild_before", []))
    if kept:
        sql.append(spec["copy_out"].format(**values))
    for seq, _ in _owned(sides[0], src):
        sql.append(gen.sql("sequence_owned_by_none", sequence=gen.qn(seq.schema, seq.name)))
    sql.append(gen.sql("drop_table", table=values["table"]))
    sql += gen.create_table(dst)
    sql += gen.partitions(dst)
    if not gen.r.r.get("foreign_keys_inline"):
        sql += [f"ALTER TABLE {qname} ADD {gen.foreign_key(fk)}" for fk in dst.foreign_keys]
    for index in dst.indexes:
        sql += gen.create_index(dst.schema, dst.name, index)
    if kept:
        sql.append(spec["copy_in"].format(**values | {"table": qname}))
    for seq, column in _owned(sides[1], dst):
        owner = f"{qname}.{gen.q(column)}"
        sql.append(gen.sql("sequence_owned_by", sequence=gen.qn(seq.schema, seq.name), owner=owner))
    for c in dst.columns:
        if c.identity and c.name in kept:
            sql.append(spec["identity_resync"].format(
                table=qname, table_lit=gen.lit(qname), column=gen.q(c.name),
                column_lit=gen.lit(c.name)))  # fmt: skip
    if kept:
        sql.append(spec["drop_stage"].format(**values))
    sql += [t.definition for t in triggers]
    sql += list(gen.raw("rebuild_after", []))
    return tuple(Step(sql=s) for s in sql if s)


def _cycle_referencing_keys(cx: Ctx, t: model.Table) -> None:
    """Foreign keys of other tables referencing `t`: dropped before the staged rebuild
    drops it, added again after it is back."""
    from engine.planner.diff_columns import cycle_foreign_keys

    cycle_foreign_keys(
        cx,
        t,
        lambda owner, fk: owner.key != t.key,
        f"around the rebuild of {cx.label(*t.key)} (the table is dropped and created again).",
    )


def _procedure(cx: Ctx, src: model.Table, dst: model.Table, triggers) -> tuple[Step, ...]:
    gen = cx.gen
    temp = NEW_PREFIX + dst.name
    qtemp = gen.qn(dst.schema, temp)
    qname = gen.qn(dst.schema, dst.name)
    src_names = {c.name for c in src.columns}
    kept = [c.name for c in dst.columns if c.name in src_names and c.generated is None]
    sql: list[str] = list(gen.raw("rebuild_before", []))
    sql += gen.create_table(dst, name=temp)
    if kept:
        cols = gen.cols(kept)
        sql.append(
            f"INSERT INTO {qtemp} ({cols}) SELECT {cols} FROM {gen.qn(src.schema, src.name)}"
        )
    sql.append(gen.sql("drop_table", table=gen.qn(src.schema, src.name)))
    sql.append(gen.sql("rename_table", table=qtemp, new=gen.q(dst.name)))
    if not gen.r.r.get("foreign_keys_inline"):
        sql += [f"ALTER TABLE {qname} ADD {gen.foreign_key(fk)}" for fk in dst.foreign_keys]
    for index in dst.indexes:
        sql += gen.create_index(dst.schema, dst.name, index)
    sql += [t.definition for t in triggers]
    sql += list(gen.raw("rebuild_after", []))
    return tuple(Step(sql=s) for s in sql if s)


def rebuild_table(cx: Ctx, a: model.Table, b: model.Table, why: list[str]) -> Draft:
    """One rebuild_table draft turning `a` (source, renames applied) into `b`."""
    key = b.key
    a_triggers = [t for t in cx.orig.triggers if (t.schema, t.table) == a.key]
    b_triggers = [t for t in cx.b.triggers if (t.schema, t.table) == key]
    staged = bool(cx.gen.raw("rebuild_staged"))
    if staged:
        _cycle_referencing_keys(cx, a)
        steps = _staged(cx, a, b, b_triggers, (cx.a, cx.b))
    else:
        steps = _procedure(cx, a, b, b_triggers)
    b_names = {c.name for c in b.columns}
    lost = [c.name for c in a.columns if c.name not in b_names and c.generated is None]
    hazards = ["TABLE_REWRITE"]
    notes = [f"rebuilt because: {'; '.join(why)}"]
    if lost:
        hazards += ["DATA_LOSS", "BACKWARD_INCOMPATIBLE"]
        rollback = None
        irreversible = f"the data of dropped column(s) {', '.join(lost)} cannot be restored"
    else:
        rollback = (
            _staged(cx, b, a, a_triggers, (cx.b, cx.a))
            if staged
            else _procedure(cx, b, a, a_triggers)
        )
        irreversible = None
    new_required = [
        c.name
        for c in b.columns
        if c.name not in {x.name for x in a.columns}
        and not c.nullable
        and c.default is None
        and c.generated is None
        and c.identity is None
    ]
    if new_required or any(
        (x := a.column(c.name)) is not None and x.nullable and not c.nullable for c in b.columns
    ):
        hazards.append("DATA_DEPENDENT")
        notes.append("copying existing rows fails if any violates a new NOT NULL")
    if len(b.checks) > len(a.checks) or len(b.foreign_keys) > len(a.foreign_keys):
        hazards.append("DATA_DEPENDENT")
    label = cx.label(b.schema, b.name)
    return Draft(
        phase="tables",
        kind="rebuild_table",
        target=ref("table", b.schema, b.name),
        steps=steps,
        rollback=rollback,
        irreversible=irreversible,
        rationale=(
            f"Rebuild table {label} (copy its rows into a new table of the desired shape) "
            f"because the server's ALTER TABLE cannot {why[0]}."
        ),
        lock=cx.gen.lock("rebuild_table"),
        strategy="table_rebuild",
        hazards=tuple(hazards),
        notes=tuple(notes),
        provides=frozenset({("table", *key)}),
        requires=frozenset({("table", *key)}),
    )

"""Diffing tables: create, drop, and for a table on both sides its columns, keys, checks,
foreign keys, indexes, options, comment and partitions.

Each change becomes one operation through the family's ALTER spelling (plan.json "sql").
When the family cannot express one of a table's changes (SQLite: most of them), the
table's changes are not split: one rebuild_table operation (engine.planner.rebuild) takes
the table from its source shape to the desired one, indexes and triggers included.
"""

from __future__ import annotations

import re

from engine.ir import model
from engine.planner import diff_columns
from engine.planner.diff_base import Ctx, by_name, ref, renamed_pairs, table_op
from engine.planner.diff_table_parts import (
    create_index,
    declared_constraint_renames,
    diff_indexes,
    diff_options,
    diff_partitioning,
    note_unhonoured,
    refuse_renames_in_dropped,
)
from engine.planner.order import Draft
from engine.planner.rebuild import rebuild_table

_LITERAL = re.compile(r"^(NULL|TRUE|FALSE|[-+]?\d+(\.\d+)?|'([^']|'')*')$", re.IGNORECASE)


def diff_tables(cx: Ctx) -> None:
    a_tables = {t.key: t for t in cx.a.tables}
    b_tables = {t.key: t for t in cx.b.tables}
    dropped = _referrers_first([a_tables[k] for k in sorted(set(a_tables) - set(b_tables))])
    cx.dropped_tables.update(t.key for t in dropped)
    for t in dropped:
        refuse_renames_in_dropped(cx, t)
        drop_table(cx, t, a_tables)
    for key in sorted(set(b_tables) - set(a_tables)):
        create_table(cx, b_tables[key])
    for key in sorted(set(a_tables) & set(b_tables)):
        a, b = a_tables[key], b_tables[key]
        if a != b:
            alter_table(cx, a, b)


def _referrers_first(tables: list[model.Table]) -> list[model.Table]:
    """Tables to drop, each after every table (also dropped) whose foreign keys reference it."""
    out: list[model.Table] = []
    pending = list(tables)
    while pending:
        keys = {t.key for t in pending}
        free = [
            t
            for t in pending
            if not any(
                o.key != t.key and (fk.ref_schema, fk.ref_table) == t.key
                for o in pending
                for fk in o.foreign_keys
                if o.key in keys
            )
        ] or pending[:1]  # a reference cycle: keep going (the server will say)
        out += free
        pending = [t for t in pending if t not in free]
    return out


# -- whole tables -------------------------------------------------------------------------


def create_table(cx: Ctx, t: model.Table) -> None:
    gen = cx.gen
    steps = [*gen.create_table(t), *gen.partitions(t)]
    label = cx.label(t.schema, t.name)
    notes = (
        (cx.suspect_notes[("table", t.schema, "", t.name)],)
        if ("table", t.schema, "", t.name) in cx.suspect_notes
        else ()
    )
    cx.add(
        Draft(
            phase="tables",
            kind="create_table",
            target=ref("table", t.schema, t.name),
            steps=cx.steps(*steps),
            rollback=cx.steps(gen.sql("drop_table", table=gen.qn(t.schema, t.name))),
            rationale=f"Create table {label} because the desired schema has it and the "
            "database does not.",
            lock=gen.lock("create_table"),
            notes=notes,
            provides=frozenset({("table", *t.key)}),
        )
    )
    for index in t.indexes:
        create_index(cx, t, index, new_table=True)
    if not gen.r.r.get("foreign_keys_inline"):
        for fk in t.foreign_keys:
            add_foreign_key(cx, t, fk)


def drop_table(cx: Ctx, t: model.Table, a_tables: dict) -> None:
    gen = cx.gen
    label = cx.label(t.schema, t.name)
    # a table referencing this one (and dropped too) must go first
    referrers = {
        ("dropped_table", *o.key)
        for o in a_tables.values()
        if o.key != t.key and any((fk.ref_schema, fk.ref_table) == t.key for fk in o.foreign_keys)
    }
    key = ("table", t.schema, "", t.name)
    notes = (cx.suspect_notes[key],) if key in cx.suspect_notes else ()
    cx.add(
        Draft(
            phase="drop_tables",
            kind="drop_table",
            target=ref("table", t.schema, t.name),
            steps=cx.steps(gen.sql("drop_table", table=gen.qn(t.schema, t.name))),
            rollback=None,
            irreversible="the dropped table's rows cannot be restored",
            rationale=f"Drop table {label} because the desired schema no longer has it; "
            "its rows are lost.",
            lock=gen.lock("drop_table"),
            hazards=("DATA_LOSS", "BACKWARD_INCOMPATIBLE"),
            notes=notes,
            provides=frozenset({("dropped_table", *t.key)}),
            requires=frozenset(referrers),
        )
    )


# -- a table on both sides -----------------------------------------------------------------


def _cannot(cx: Ctx, a: model.Table, b: model.Table) -> list[str]:
    """What about a -> b the family's ALTER cannot express (empty: ALTER can do it all)."""
    gen = cx.gen
    why: list[str] = []
    a_cols, b_cols = by_name(a.columns), by_name(b.columns)
    if any(n not in b_cols for n in a_cols) and not gen.can("drop_column"):
        why.append("drop a column")
    for c in b.columns:
        if c.name not in a_cols:
            blocked = [
                cond
                for cond in cx.gen.data.get("add_column_needs_rebuild", [])
                if _add_condition(cond, b, c)
            ]
            if blocked or not gen.can("add_column"):
                why.append(f"add column {c.name} ({', '.join(blocked) or 'no ADD COLUMN'})")
        elif a_cols[c.name] != c:
            missing = diff_columns.unsupported(cx, a_cols[c.name], c)
            if missing:
                why.append(f"change column {c.name} ({', '.join(missing)})")
    if (a.primary_key != b.primary_key) and not (
        gen.can("add_constraint") and gen.can("drop_primary_key")
    ):
        why.append("change the primary key")
    for attr, drop in (
        ("uniques", "drop_unique"),
        ("checks", "drop_check"),
        ("foreign_keys", "drop_foreign_key"),
    ):
        if set(getattr(a, attr)) != set(getattr(b, attr)) and not (
            gen.can("add_constraint") and gen.can(drop)
        ):
            why.append(f"change {attr.replace('_', ' ')}")
    if a.options != b.options and not gen.can("table_option"):
        why.append("change table options")
    if a.comment != b.comment and not gen.can("comment_table"):
        why.append("change the table comment")
    if _scheme(a) != _scheme(b) and not gen.can("repartition") and gen.raw("rebuild_staged"):
        why.append("change how the table is partitioned")
    return why


def _scheme(t: model.Table) -> tuple | None:
    """How a table is partitioned (strategy and key), None when it is not."""
    p = t.partitioning
    return (p.strategy, p.key) if p else None


def _add_condition(cond: str, t: model.Table, c: model.Column) -> bool:
    if cond == "not_null_without_default":
        return not c.nullable and c.default is None and c.generated is None
    if cond == "stored_generated":
        return c.generated is not None and c.generated_stored
    if cond == "expression_default":
        return c.default is not None and not _LITERAL.match(c.default.strip())
    if cond == "primary_key":
        return t.primary_key is not None and c.name in t.primary_key.columns
    if cond == "unique":
        return any(c.name in u.columns for u in t.uniques)
    if cond == "foreign_key":
        return any(c.name in fk.columns for fk in t.foreign_keys)
    return False


def alter_table(cx: Ctx, a: model.Table, b: model.Table) -> None:
    a, unhonoured = declared_constraint_renames(cx, a, b)
    start = len(cx.drafts)
    why = _cannot(cx, a, b)
    if why:
        cx.rebuilt.add(b.key)
        cx.disturbed.setdefault(b.key, "it is rebuilt")
        cx.add(rebuild_table(cx, a, b, why))
    elif a != b:
        diff_columns.diff_columns(cx, a, b)
        _primary_key(cx, a, b)
        _constraints(cx, a, b)
        diff_indexes(cx, a, b)
        diff_options(cx, a, b)
        diff_partitioning(cx, a, b)
    note_unhonoured(cx.drafts[start:], unhonoured)


def _pk_constraint(cx: Ctx, t: model.Table, pk: model.PrimaryKey) -> str:
    auto = cx.gen.ir.get("auto_names", {}).get("primary_key")
    name = None if pk.name == auto or "{" in str(pk.name) else pk.name
    return cx.gen.named(name, f"PRIMARY KEY ({cx.gen.cols(pk.columns)})")


def _rename_constraint(cx: Ctx, t: model.Table, kind: str, old: str, new: str) -> None:
    gen, table = cx.gen, cx.gen.qn(t.schema, t.name)
    table_op(
        cx,
        "constraints",
        "rename_constraint",
        ref(kind, t.schema, new, t.name),
        [gen.sql("rename_constraint", table=table, name=gen.q(old), new=gen.q(new))],
        [gen.sql("rename_constraint", table=table, name=gen.q(new), new=gen.q(old))],
        f"Rename {kind.replace('_', ' ')} constraint {old} of {cx.label(*t.key)} to {new}, the "
        "name the desired schema gives it (same definition: nothing is checked again).",
    )


def _primary_key(cx: Ctx, a: model.Table, b: model.Table) -> None:
    if a.primary_key == b.primary_key:
        return
    pa, pb = a.primary_key, b.primary_key
    if pa and pb and pa.columns == pb.columns and cx.gen.can("rename_constraint"):
        _rename_constraint(cx, b, "primary_key", pa.name or "", pb.name or "")
        return
    gen, table = cx.gen, cx.gen.qn(b.schema, b.name)
    label = cx.label(b.schema, b.name)
    drop = add = None
    if a.primary_key:
        drop = gen.sql("drop_primary_key", table=table, name=gen.q(a.primary_key.name or ""))
    if b.primary_key:
        add = gen.sql(
            "add_constraint", table=table, constraint=_pk_constraint(cx, b, b.primary_key)
        )
    if drop:
        table_op(
            cx,
            "drop_constraints",
            "drop_primary_key",
            ref("primary_key", b.schema, a.primary_key.name or "", b.name),
            [drop],
            [
                gen.sql(
                    "add_constraint", table=table, constraint=_pk_constraint(cx, a, a.primary_key)
                )
            ],
            f"Drop the primary key of {label} because the desired schema "
            + ("keys it differently." if add else "has none."),
            hazards=("BACKWARD_INCOMPATIBLE",),
        )
    if add:
        cols = ", ".join(b.primary_key.columns)
        table_op(
            cx,
            "constraints",
            "add_primary_key",
            ref("primary_key", b.schema, b.primary_key.name or "", b.name),
            [add],
            [gen.sql("drop_primary_key", table=table, name=gen.q(b.primary_key.name or ""))],
            f"Add primary key ({cols}) to {label} because the desired schema has it; it fails "
            "if existing rows repeat or hold NULLs.",
            hazards=("DATA_DEPENDENT", "INDEX_BUILD"),
        )


_CONSTRAINTS = (
    # attr, ObjectRef kind, drop template, phase of the add
    ("uniques", "unique", "drop_unique", "constraints"),
    ("checks", "check", "drop_check", "constraints"),
    ("foreign_keys", "foreign_key", "drop_foreign_key", "foreign_keys"),
)


def _constraint_body(cx: Ctx, kind: str, c) -> str:
    gen = cx.gen
    if kind == "foreign_key":
        return gen.foreign_key(c)
    if kind == "unique":
        body = f"UNIQUE ({gen.cols(c.columns)})"
        if c.deferrable:
            body += " DEFERRABLE" + (" INITIALLY DEFERRED" if c.initially_deferred else "")
        return gen.named(c.name, body)
    body = gen.named(c.name, f"CHECK ({c.expression})")
    if not c.validated and gen.r.r.get("check_not_valid") == "alter":
        body += " NOT VALID"
    return body


def add_foreign_key(cx: Ctx, t: model.Table, fk: model.ForeignKey, why: str = "") -> Draft:
    gen = cx.gen
    table = gen.qn(t.schema, t.name)
    ref_label = cx.label(fk.ref_schema, fk.ref_table)
    return table_op(
        cx,
        "foreign_keys",
        "add_foreign_key",
        ref("foreign_key", t.schema, fk.name, t.name),
        [gen.sql("add_constraint", table=table, constraint=gen.foreign_key(fk))],
        [gen.sql("drop_foreign_key", table=table, name=gen.q(fk.name))],
        why
        or f"Add foreign key {fk.name} ({', '.join(fk.columns)}) -> {ref_label} because the "
        "desired schema has it; it fails if existing rows reference missing keys.",
        hazards=() if why else ("DATA_DEPENDENT",),
        requires=frozenset({("table", *t.key), ("table", fk.ref_schema, fk.ref_table)}),
    )


def drop_foreign_key(cx: Ctx, t: model.Table, fk: model.ForeignKey, why: str = "") -> Draft:
    gen = cx.gen
    table = gen.qn(t.schema, t.name)
    return table_op(
        cx,
        "drop_foreign_keys",
        "drop_foreign_key",
        ref("foreign_key", t.schema, fk.name, t.name),
        [gen.sql("drop_foreign_key", table=table, name=gen.q(fk.name))],
        [gen.sql("add_constraint", table=table, constraint=gen.foreign_key(fk))],
        why
        or f"Drop foreign key {fk.name} of {cx.label(t.schema, t.name)} because the desired "
        "schema no longer has it.",
    )


def _constraints(cx: Ctx, a: model.Table, b: model.Table) -> None:
    gen, table = cx.gen, cx.gen.qn(b.schema, b.name)
    label = cx.label(b.schema, b.name)
    for attr, kind, drop_key, add_phase in _CONSTRAINTS:
        old, new = by_name(getattr(a, attr)), by_name(getattr(b, attr))
        if gen.can("rename_constraint"):
            for o, n in renamed_pairs(old, new).items():
                _rename_constraint(cx, b, kind, o, n)
                new = {k: v for k, v in new.items() if k != n}
                old = {k: v for k, v in old.items() if k != o}
        for name in sorted(old):
            if new.get(name) == old[name] or (b.schema, b.name, name) in cx.fk_cycled:
                continue
            if kind == "foreign_key":
                drop_foreign_key(cx, b, old[name])
                continue
            back = gen.sql(
                "add_constraint", table=table, constraint=_constraint_body(cx, kind, old[name])
            )
            table_op(
                cx,
                "drop_constraints",
                f"drop_{kind}",
                ref(kind, b.schema, name, b.name),
                [gen.sql(drop_key, table=table, name=gen.q(name))],
                [back],
                f"Drop {kind.replace('_', ' ')} constraint {name} of {label} because the "
                "desired schema "
                + ("defines it differently." if name in new else "no longer has it."),
            )
        for name in sorted(new):
            if old.get(name) == new[name] or (b.schema, b.name, name) in cx.fk_cycled:
                continue
            if kind == "foreign_key":
                add_foreign_key(cx, b, new[name])
                continue
            c = new[name]
            what = (
                f"UNIQUE ({', '.join(c.columns)})"
                if kind == "unique"
                else (f"CHECK ({c.expression})")
            )
            table_op(
                cx,
                add_phase,
                f"add_{kind}",
                ref(kind, b.schema, name, b.name),
                [gen.sql("add_constraint", table=table, constraint=_constraint_body(cx, kind, c))],
                [gen.sql(drop_key, table=table, name=gen.q(name))],
                f"Add constraint {name} {what} to {label} because the desired schema has it; "
                "it fails if existing rows violate it.",
                hazards=("DATA_DEPENDENT",) + (("INDEX_BUILD",) if kind == "unique" else ()),
            )

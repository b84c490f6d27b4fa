"""Schema diff: two snapshots of the same dialect -> the ordered, explained operations that
turn the first into the second.

    ops = diff(from_snap, to_snap, PlanContext(dialect, from_snap, to_snap, renames=...))

Renames are never guessed. A declared rename (`context.renames`, e.g. from
`engine.planner.hints.renames_from_sql`) becomes a RENAME operation that keeps the data,
and the rest of the diff runs against the source with the rename applied, so the renamed
object then compares name for name with the desired one. A dropped + added column of the
same type at the same position, or a dropped + added table with the same columns, is only
*suspected* (`suspected_renames`): the plan still drops and adds, and the two operations'
notes say how to declare the rename to keep the data.

Operation kinds: create_/drop_ schema, extension, type, sequence, table, index, view,
materialized_view, routine, trigger; alter_extension, alter_enum_add_value,
alter_type_attributes, alter_type_swap, alter_sequence, alter_sequence_owner; rename_table,
rename_column, rename_index, rename_view, rename_constraint; add_column, drop_column,
alter_column (one whole-definition MODIFY), alter_column_metadata, alter_column_type,
alter_column_collation, set_not_null, drop_not_null, set_default, drop_default,
alter_column_identity, alter_column_generated; add_/drop_ primary_key, unique, check,
foreign_key; add_partition, drop_partition, repartition_table, set_table_options,
rebuild_table, replace_view, replace_routine; comment_table, comment_column, comment_schema,
comment_view, comment_sequence, comment_type, comment_function, comment_procedure.

Every operation kind and its SQL come from the per-kind modules (diff_tables,
diff_columns, diff_objects, diff_types, rebuild) and the family's plan.json; the order and
ids from engine.planner.order. Nothing here branches on the family.
"""

from __future__ import annotations

import dataclasses

from engine.errors import PlanError
from engine.ir import model
from engine.planner import diff_code, diff_objects, diff_tables
from engine.planner.diff_base import Ctx, ref, rename_word
from engine.planner.hints import HINT
from engine.planner.model import Operation, PlanContext, Rename
from engine.planner.order import Draft, order
from engine.planner.sqlgen import SqlGen

__all__ = ["diff", "suspected_renames"]


def diff(
    from_snap: model.Snapshot, to_snap: model.Snapshot, context: PlanContext | None = None
) -> tuple[Operation, ...]:
    """The operations turning `from_snap` into `to_snap`, in run order, ids "op-001"..."""
    if from_snap.dialect != to_snap.dialect:
        raise PlanError(
            f"cannot diff a {from_snap.dialect} schema against a {to_snap.dialect} one: "
            "convert one side first"
        )
    context = context or PlanContext(from_snap.dialect, from_snap, to_snap)
    gen = SqlGen(to_snap.dialect)
    cx = Ctx(gen=gen, orig=from_snap, a=from_snap, b=to_snap, plan=context)
    _apply_renames(cx, context.renames)
    for r in suspected_renames(cx.a, to_snap, context):
        text = _suspect_note(r)
        if r.kind == "table":
            cx.suspect_notes[("table", r.schema, "", r.old)] = text
            cx.suspect_notes[("table", r.schema, "", r.new)] = text
        else:
            cx.suspect_notes[("column", r.schema, r.table, r.old)] = text
            cx.suspect_notes[("column", r.schema, r.table, r.new)] = text
    diff_objects.diff_namespaces(cx)
    diff_objects.diff_extensions(cx)
    diff_objects.diff_types(cx)
    diff_objects.diff_sequences(cx)
    diff_tables.diff_tables(cx)
    diff_code.diff_views(cx)
    diff_code.diff_routines(cx)
    diff_code.diff_triggers(cx)
    _schema_edges(cx.drafts)
    return order(cx.drafts)


def _schema_edges(drafts: list[Draft]) -> None:
    """Objects are created after their schema exists and a schema is dropped after what
    was in it: edges from the object keys ("namespace", s) and ("emptied", s)."""
    for d in drafts:
        schema = d.target.schema
        if d.kind == "drop_schema":
            d.requires = d.requires | {("emptied", d.target.name)}
        elif d.kind.startswith("drop_") and schema:
            d.provides = d.provides | {("emptied", schema)}
        elif d.kind.startswith("create_") and schema:
            d.requires = d.requires | {("namespace", schema)}


def _suspect_note(r: Rename) -> str:
    if r.kind == "table":
        where = f"on the line before CREATE TABLE {r.new}"
        what = f"table {r.old} -> {r.new}"
    else:
        where = f"at the end of column {r.new}'s line in CREATE TABLE {r.table}"
        what = f"column {r.table}.{r.old} -> {r.table}.{r.new}"
    return (
        f"looks like a rename of {what}; declare it with `{HINT.format(old=r.old)}` {where} "
        f"(or Rename(kind={r.kind!r}, old={r.old!r}, new={r.new!r}) in the request) to keep "
        "the data"
    )


# -- declared renames --------------------------------------------------------------------


def _apply_renames(cx: Ctx, renames: tuple[Rename, ...]) -> None:
    """Rename ops for every declared rename that applies, and `cx.a` with them done.
    A rename whose old name is gone and new name present is already done: skipped (a
    desired-state file keeps its hints after the rename has run)."""
    for r in sorted(renames, key=lambda r: (r.kind != "table", r.schema, r.table or "", r.old)):
        if r.kind == "table":
            _rename_table(cx, r)
        elif r.kind == "column":
            _rename_column(cx, r)
        elif r.kind == "index":
            _rename_index(cx, r)
        elif r.kind == "view":
            _rename_view(cx, r)


def _rename_draft(
    cx: Ctx, kind: str, target, fwd: str, back: str, rationale: str, key: tuple
) -> Draft:
    return cx.add(
        Draft(
            phase="rename",
            kind=kind,
            target=target,
            steps=cx.steps(fwd),
            rollback=cx.steps(back),
            rationale=rationale,
            lock=cx.gen.lock(kind),
            hazards=("BACKWARD_INCOMPATIBLE",),
            provides=frozenset({key}),
            requires=frozenset({key}),
        )
    )


def _rename_table(cx: Ctx, r: Rename) -> None:
    a, b, gen = cx.a, cx.b, cx.gen
    if a.table(r.schema, r.old) is None or a.table(r.schema, r.new) is not None:
        return
    if b.table(r.schema, r.new) is None:
        raise PlanError(
            f"declared rename of table {r.old} to {r.new}: the desired schema has no table {r.new}"
        )
    _rename_draft(
        cx,
        "rename_table",
        ref("table", r.schema, r.new),
        gen.sql("rename_table", table=gen.qn(r.schema, r.old), new=gen.q(r.new)),
        gen.sql("rename_table", table=gen.qn(r.schema, r.new), new=gen.q(r.old)),
        f"Rename table {cx.label(r.schema, r.old)} to {r.new} as declared; its rows are kept.",
        ("table", r.schema, r.new),
    )
    cx.disturbed[(r.schema, r.new)] = f"it is renamed from {r.old}"
    cx.table_renames[(r.schema, r.new)] = r.old

    def fix_fk(fk: model.ForeignKey) -> model.ForeignKey:
        if (fk.ref_schema, fk.ref_table) == (r.schema, r.old):
            return dataclasses.replace(fk, ref_table=r.new)
        return fk

    tables = []
    for t in a.tables:
        if t.key == (r.schema, r.old):
            t = dataclasses.replace(t, name=r.new)
        tables.append(dataclasses.replace(t, foreign_keys=tuple(fix_fk(f) for f in t.foreign_keys)))
    triggers = [
        dataclasses.replace(t, table=r.new) if (t.schema, t.table) == (r.schema, r.old) else t
        for t in a.triggers
    ]
    sequences = [_owner_renamed(s, r.old, r.new, None) for s in a.sequences]
    cx.a = dataclasses.replace(
        a, tables=tuple(tables), triggers=tuple(triggers), sequences=tuple(sequences)
    )


def _owner_renamed(s: model.Sequence, table_old, table_new, column) -> model.Sequence:
    if not s.owned_by or "." not in s.owned_by:
        return s
    table, col = s.owned_by.rsplit(".", 1)
    if column is None and table == table_old:
        return dataclasses.replace(s, owned_by=f"{table_new}.{col}")
    if column is not None and table == table_new and col == column[0]:
        return dataclasses.replace(s, owned_by=f"{table}.{column[1]}")
    return s


def _rename_column(cx: Ctx, r: Rename) -> None:
    a, b, gen = cx.a, cx.b, cx.gen
    t, tb = a.table(r.schema, r.table or ""), b.table(r.schema, r.table or "")
    if t is None or t.column(r.old) is None or t.column(r.new) is not None:
        return
    if tb is None or tb.column(r.new) is None:
        raise PlanError(
            f"declared rename of column {r.table}.{r.old} to {r.new}: the desired "
            f"schema has no column {r.table}.{r.new}"
        )
    if not gen.can("rename_column"):
        return  # drop + add (or a rebuild) it is; the suspect note explains
    _rename_draft(
        cx,
        "rename_column",
        ref("column", r.schema, r.new, r.table),
        gen.sql(
            "rename_column", table=gen.qn(r.schema, t.name), column=gen.q(r.old), new=gen.q(r.new)
        ),
        gen.sql(
            "rename_column", table=gen.qn(r.schema, t.name), column=gen.q(r.new), new=gen.q(r.old)
        ),
        f"Rename column {cx.label(r.schema, t.name, r.old)} to {r.new} as declared; "
        "its data is kept.",
        ("table", r.schema, t.name),
    )
    cx.disturbed[t.key] = f"its column {r.old} is renamed to {r.new}"
    cx.a = _column_renamed(a, t.key, r.old, r.new)


def _column_renamed(snap: model.Snapshot, key, old: str, new: str) -> model.Snapshot:
    def names(cols):
        return tuple(new if c == old else c for c in cols)

    def parts(index: model.Index) -> model.Index:
        return dataclasses.replace(
            index,
            parts=tuple(
                dataclasses.replace(
                    p,
                    column=new if p.column == old else p.column,
                    expression=rename_word(p.expression, old, new),
                )
                for p in index.parts
            ),
            predicate=rename_word(index.predicate, old, new),
            include=names(index.include),
        )

    tables = []
    for t in snap.tables:
        fks = tuple(
            dataclasses.replace(fk, ref_columns=names(fk.ref_columns))
            if (fk.ref_schema, fk.ref_table) == key
            else fk
            for fk in t.foreign_keys
        )
        if t.key == key:
            t = dataclasses.replace(
                t,
                columns=tuple(
                    dataclasses.replace(
                        c,
                        name=new if c.name == old else c.name,
                        generated=rename_word(c.generated, old, new),
                    )
                    for c in t.columns
                ),
                primary_key=dataclasses.replace(t.primary_key, columns=names(t.primary_key.columns))
                if t.primary_key
                else None,
                uniques=tuple(dataclasses.replace(u, columns=names(u.columns)) for u in t.uniques),
                checks=tuple(
                    dataclasses.replace(c, expression=rename_word(c.expression, old, new))
                    for c in t.checks
                ),
                indexes=tuple(parts(i) for i in t.indexes),
            )
            fks = tuple(dataclasses.replace(fk, columns=names(fk.columns)) for fk in fks)
        tables.append(dataclasses.replace(t, foreign_keys=fks))
    sequences = tuple(_owner_renamed(s, None, key[1], (old, new)) for s in snap.sequences)
    return dataclasses.replace(snap, tables=tuple(tables), sequences=sequences)


def _rename_index(cx: Ctx, r: Rename) -> None:
    gen = cx.gen
    if not gen.can("rename_index"):
        return
    for t in cx.a.tables:
        if t.schema != r.schema:
            continue
        names = {i.name for i in t.indexes}
        tb = cx.b.table(t.schema, t.name)
        if r.old not in names or r.new in names or tb is None:
            continue
        if r.new not in {i.name for i in tb.indexes}:
            return
        v = {"table": gen.qn(t.schema, t.name)}
        _rename_draft(
            cx,
            "rename_index",
            ref("index", r.schema, r.new, t.name),
            gen.sql(
                "rename_index",
                index=gen.qn(r.schema, r.old),
                name=gen.q(r.old),
                new=gen.q(r.new),
                **v,
            ),
            gen.sql(
                "rename_index",
                index=gen.qn(r.schema, r.new),
                name=gen.q(r.new),
                new=gen.q(r.old),
                **v,
            ),
            f"Rename index {r.old} of {cx.label(*t.key)} to {r.new} as declared (no rebuild).",
            ("table", *t.key),
        )
        indexes = tuple(
            dataclasses.replace(i, name=r.new) if i.name == r.old else i for i in t.indexes
        )
        new_t = dataclasses.replace(t, indexes=indexes)
        cx.a = dataclasses.replace(
            cx.a, tables=tuple(new_t if x.key == t.key else x for x in cx.a.tables)
        )
        return


def _rename_view(cx: Ctx, r: Rename) -> None:
    gen = cx.gen
    a_views = {v.key: v for v in cx.a.views}
    b_keys = {v.key for v in cx.b.views}
    old, new = (r.schema, r.old), (r.schema, r.new)
    if old not in a_views or new in a_views or new not in b_keys:
        return
    key = "rename_materialized_view" if a_views[old].materialized else "rename_view"
    if not gen.can(key):
        return
    _rename_draft(
        cx,
        "rename_view",
        ref("materialized_view" if a_views[old].materialized else "view", r.schema, r.new),
        gen.sql(key, view=gen.qn(*old), new=gen.q(r.new)),
        gen.sql(key, view=gen.qn(*new), new=gen.q(r.old)),
        f"Rename view {cx.label(*old)} to {r.new} as declared.",
        ("view", *new),
    )
    views = tuple(dataclasses.replace(v, name=r.new) if v.key == old else v for v in cx.a.views)
    cx.a = dataclasses.replace(cx.a, views=views)


# -- suspected renames -------------------------------------------------------------------


def suspected_renames(
    from_snap: model.Snapshot, to_snap: model.Snapshot, context: PlanContext | None = None
) -> tuple[Rename, ...]:
    """Drop + add pairs that look like renames and are not declared: a column dropped and
    one added in the same table with the same type at the same position; a table dropped
    and one added with the same columns (names and types). Declared renames (in
    `context.renames`) are applied first, so they are never reported."""
    if context is not None and context.renames and from_snap is context.from_snapshot:
        cx = Ctx(gen=SqlGen(to_snap.dialect), orig=from_snap, a=from_snap, b=to_snap, plan=context)
        _apply_renames(cx, context.renames)
        from_snap = cx.a
    out: list[Rename] = []
    a_tables = {t.key: t for t in from_snap.tables}
    b_tables = {t.key: t for t in to_snap.tables}
    for key in sorted(set(a_tables) & set(b_tables)):
        a, b = a_tables[key], b_tables[key]
        a_names, b_names = {c.name for c in a.columns}, {c.name for c in b.columns}
        for pos, c in enumerate(a.columns):
            if c.name in b_names or pos >= len(b.columns):
                continue
            cb = b.columns[pos]
            if cb.name not in a_names and cb.type == c.type:
                out.append(Rename("column", key[0], c.name, cb.name, table=key[1]))
    gone = [a_tables[k] for k in sorted(set(a_tables) - set(b_tables))]
    new = [b_tables[k] for k in sorted(set(b_tables) - set(a_tables))]

    def shape(t: model.Table):
        return tuple((c.name, c.type) for c in t.columns)

    for t in gone:
        match = next((n for n in new if n.schema == t.schema and shape(n) == shape(t)), None)
        if match is not None:
            new.remove(match)
            out.append(Rename("table", t.schema, t.name, match.name))
    return tuple(out)

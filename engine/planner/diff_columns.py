"""Diffing the columns of a table present on both sides: add, drop, and each attribute
change (type, collation, nullability, default, identity, generation, on-update, comment).

Families with a whole-definition statement (MySQL `MODIFY COLUMN`, plan.json
"modify_column") change a column in one operation whose rollback is the same statement with
the old definition. Others spell each attribute (PostgreSQL SET NOT NULL, SET DEFAULT,
TYPE ... USING), one operation per attribute so each carries its own lock and hazards. A
type change also drops and re-adds the foreign keys through the column (MySQL refuses to
change a referenced column's type) and marks the table so views reading it are dropped
before and recreated after (PostgreSQL refuses to change a column type under a view).
"""

from __future__ import annotations

import dataclasses
import re

from engine.ir import model
from engine.planner.diff_base import Ctx, by_name, ref
from engine.planner.order import Draft
from engine.planner.rebuild import _procedure

#: widening order of integer types (anything else: compared by parameters)
_INT_RANK = {"tinyint": 1, "smallint": 2, "mediumint": 3, "integer": 4, "int": 4, "bigint": 5}
#: column attributes a whole-definition statement changes in the catalog only
_METADATA = {"default", "comment"}
_TEXTUAL = {"text", "longtext", "mediumtext", "tinytext", "varchar", "char", "character varying"}


def _split_type(t: str) -> tuple[str, tuple[int, ...]]:
    m = re.match(r"^\s*([a-z ]+?)\s*(?:\(([\d,\s]+)\))?\s*(unsigned)?\s*$", t.lower())
    if not m:
        return t.lower(), ()
    nums = tuple(int(x) for x in (m.group(2) or "").split(",") if x.strip())
    return m.group(1), nums


def type_change(old: str, new: str) -> str:
    """ "widening" (every old value fits), "narrowing" (some may not) or "other"."""
    (on, op), (nn, np) = _split_type(old), _split_type(new)
    if on in _INT_RANK and nn in _INT_RANK:
        return "widening" if _INT_RANK[nn] >= _INT_RANK[on] else "narrowing"
    if on == nn and op and np and len(op) == len(np):
        return "widening" if all(n >= o for o, n in zip(op, np, strict=True)) else "narrowing"
    if nn in {"text", "longtext"} and on in _TEXTUAL:
        return "widening"
    if on in {"text", "longtext"} and nn in _TEXTUAL:
        return "narrowing"
    return "other"


def _changed(ca: model.Column, cb: model.Column) -> list[str]:
    return [
        f.name
        for f in dataclasses.fields(model.Column)
        if f.compare and f.name != "name" and getattr(ca, f.name) != getattr(cb, f.name)
    ]


def _needs(cx: Ctx, ca: model.Column, cb: model.Column, attr: str) -> list[str]:
    """Template keys the attribute change needs (PostgreSQL-style spelling)."""
    if attr in ("type", "collation"):
        return ["alter_column_type"]
    if attr == "nullable":
        return ["set_not_null", "drop_not_null"]
    if attr == "default":
        return ["set_default", "drop_default"]
    if attr == "identity":
        kinds = cx.gen.raw("identity_kinds", [])
        ok = all(v is None or v in kinds for v in (ca.identity, cb.identity))
        return ["add_identity", "drop_identity", "set_identity"] + ([] if ok else ["?identity"])
    if attr in ("generated", "generated_stored"):
        return ["drop_column", "add_column"]
    if attr == "comment":
        return ["comment_column"]
    return [attr]  # on_update: only a whole-definition statement can


def unsupported(cx: Ctx, ca: model.Column, cb: model.Column) -> list[str]:
    """Attribute changes the family cannot spell (so the table must be rebuilt)."""
    if cx.gen.can("modify_column"):
        return []
    return [a for a in _changed(ca, cb) if not all(cx.gen.can(k) for k in _needs(cx, ca, cb, a))]


def diff_columns(cx: Ctx, a: model.Table, b: model.Table) -> None:
    a_cols, b_cols = by_name(a.columns), by_name(b.columns)
    previous: Draft | None = None
    for pos, c in enumerate(b.columns):
        if c.name not in a_cols:
            previous = _add_column(cx, a, b, c, pos, previous)
    for c in a.columns:
        if c.name not in b_cols:
            _drop_column(cx, b, c)
    for c in b.columns:
        if c.name in a_cols and a_cols[c.name] != c:
            if cx.gen.can("modify_column"):
                _modify(cx, b, a_cols[c.name], c)
            else:
                _per_attribute(cx, b, a_cols[c.name], c)


def _column_draft(
    cx: Ctx, kind: str, t: model.Table, column: str, steps, back, rationale: str, **kw
) -> Draft:
    key = ("table", *t.key)
    return cx.add(
        Draft(
            phase="tables",
            kind=kind,
            target=ref("column", t.schema, column, t.name),
            steps=cx.steps(*steps),
            rollback=cx.steps(*back) if back is not None else None,
            rationale=rationale,
            lock=cx.gen.lock(kind),
            provides=frozenset({key}),
            requires=frozenset({key}),
            **kw,
        )
    )


def _add_column(cx: Ctx, a, b, c: model.Column, pos: int, previous: Draft | None) -> Draft:
    gen, table = cx.gen, cx.gen.qn(b.schema, b.name)
    col_def, late = gen.column_def(b, c)
    position = ""
    if gen.can("column_after"):
        position = (
            gen.sql("column_after", column=gen.q(b.columns[pos - 1].name))
            if pos
            else gen.sql("column_first")
        )
    steps = [gen.sql("add_column", table=table, column_def=col_def, position=position), *late]
    if gen.can("drop_column"):
        back = [gen.sql("drop_column", table=table, column=gen.q(c.name))]
    else:  # e.g. SQLite: drop it by rebuilding the table as it was before this column
        persist = _persistent(cx, a, b)
        names = {x.name for x in a.columns} | {x.name for x in b.columns[:pos]}
        before = dataclasses.replace(
            persist, columns=tuple(x for x in b.columns if x.name in names)
        )
        after = dataclasses.replace(
            before, columns=tuple(x for x in b.columns if x.name in names or x.name == c.name)
        )
        triggers = [t for t in cx.b.triggers if (t.schema, t.table) == b.key and t in cx.a.triggers]
        back = [s.sql for s in _procedure(cx, after, before, triggers)]
        cx.disturbed.setdefault(b.key, "its rollback rebuilds it")
    label = cx.label(b.schema, b.name, c.name)
    if c.generated is not None:
        fills = "its values are computed from the row"
    elif c.default is not None:
        fills = f"existing rows get the default {c.default}"
    elif c.nullable:
        fills = "existing rows get NULL"
    else:
        fills = "NOT NULL without a default fails if the table has rows"
    hazards = () if c.nullable or c.default is not None or c.generated else ("DATA_DEPENDENT",)
    note_key = ("column", b.schema, b.name, c.name)
    notes = (cx.suspect_notes[note_key],) if note_key in cx.suspect_notes else ()
    draft = _column_draft(
        cx,
        "add_column",
        b,
        c.name,
        steps,
        back,
        f"Add column {label} because the desired schema has it; {fills}.",
        hazards=hazards,
        notes=notes,
    )
    if previous is not None:
        draft.after.append(previous)
    return draft


def _persistent(cx: Ctx, a: model.Table, b: model.Table) -> model.Table:
    """`a` with only the indexes both sides share (what exists throughout the plan)."""
    return dataclasses.replace(a, indexes=tuple(i for i in a.indexes if i in b.indexes))


def _drop_column(cx: Ctx, b: model.Table, c: model.Column) -> None:
    gen = cx.gen
    cx.dropped_columns.add((b.schema, b.name, c.name))
    cx.disturbed.setdefault(b.key, f"its column {c.name} is dropped")
    label = cx.label(b.schema, b.name, c.name)
    note_key = ("column", b.schema, b.name, c.name)
    notes = (cx.suspect_notes[note_key],) if note_key in cx.suspect_notes else ()
    _column_draft(
        cx,
        "drop_column",
        b,
        c.name,
        [gen.sql("drop_column", table=gen.qn(b.schema, b.name), column=gen.q(c.name))],
        None,
        f"Drop column {label} because the desired schema no longer has it; its data is lost.",
        irreversible="the dropped column's data cannot be restored",
        hazards=("DATA_LOSS", "BACKWARD_INCOMPATIBLE"),
        notes=notes,
    )


def _type_hazards(ca: model.Column, cb: model.Column) -> tuple[tuple[str, ...], list[str]]:
    change = type_change(ca.type, cb.type)
    if change == "widening":
        return (), [f"rolling back narrows {cb.type} to {ca.type}: values that do not fit fail"]
    if change == "narrowing":
        return ("DATA_DEPENDENT", "LOSSY_CONVERSION"), [
            f"{ca.type} -> {cb.type} narrows: values that do not fit make it fail"
        ]
    return ("DATA_DEPENDENT",), [f"every value must convert from {ca.type} to {cb.type}"]


def _cycle_foreign_keys(cx: Ctx, t: model.Table, column: str) -> None:
    """Foreign keys through a column whose type changes: drop before, re-add after."""
    cycle_foreign_keys(
        cx,
        t,
        lambda owner, fk: (
            (owner.key == t.key and column in fk.columns)
            or ((fk.ref_schema, fk.ref_table) == t.key and column in fk.ref_columns)
        ),
        f"around the type change of {cx.label(t.schema, t.name, column)} (the server will "
        "not change the type of a column a foreign key uses).",
    )


def cycle_foreign_keys(cx: Ctx, t: model.Table, through, why: str) -> None:
    """Foreign keys touching table `t` (its own or referencing it) for which
    `through(owner, fk)` holds, and which the desired schema keeps: dropped before the
    change and added again after it (once per plan, whoever asks first); `why` ends the
    rationale ("around the ...")."""
    from engine.planner.diff_tables import add_foreign_key, drop_foreign_key

    for owner, fk in _foreign_keys_touching(cx.a, t.key):
        kept = cx.b.table(*owner.key)
        if not through(owner, fk) or kept is None or fk not in kept.foreign_keys:
            continue
        key = (owner.schema, owner.name, fk.name)
        if key in cx.fk_cycled:
            continue
        cx.fk_cycled.add(key)
        text = f"{{}} foreign key {fk.name} of {cx.label(*owner.key)} {why}"
        drop_foreign_key(cx, kept, fk, text.format("Drop"))
        add_foreign_key(cx, kept, fk, text.format("Re-add"))


#: the last snapshot's foreign keys by the table they touch (owner or referenced), with
#: their place in a scan of its tables: a type change in a 1,000-table schema looks up the
#: keys through one table instead of scanning them all
_FK_INDEX: list[tuple[model.Snapshot, dict]] = []


def _foreign_keys_touching(snap: model.Snapshot, key: tuple[str, str]) -> list:
    """(owner, fk) pairs whose owner or referenced table is `key`, in scan order."""
    index = next((found for known, found in _FK_INDEX if known is snap), None)
    if index is None:
        index = {}
        for i, owner in enumerate(snap.tables):
            for j, fk in enumerate(owner.foreign_keys):
                entry = ((i, j), owner, fk)
                index.setdefault(owner.key, []).append(entry)
                if (fk.ref_schema, fk.ref_table) != owner.key:
                    index.setdefault((fk.ref_schema, fk.ref_table), []).append(entry)
        _FK_INDEX[:] = [(snap, index)]
    return [(owner, fk) for _, owner, fk in sorted(index.get(key, ()), key=lambda e: e[0])]


def _modify(cx: Ctx, b: model.Table, ca: model.Column, cb: model.Column) -> None:
    gen, table = cx.gen, cx.gen.qn(b.schema, b.name)
    changed = _changed(ca, cb)
    kind = "alter_column_type" if "type" in changed else "alter_column"
    if set(changed) <= _METADATA:
        kind = "alter_column_metadata"  # catalog only: no rows are touched
    hazards: tuple[str, ...] = ()
    notes: list[str] = []
    if "type" in changed:
        hazards, notes = _type_hazards(ca, cb)
        cx.disturbed.setdefault(b.key, f"the type of its column {cb.name} changes")
        _cycle_foreign_keys(cx, b, cb.name)
    if "nullable" in changed and not cb.nullable:
        hazards += ("DATA_DEPENDENT",)
    new_def, late_new = gen.column_def(b, cb)
    old_def, late_old = gen.column_def(b, ca)
    label = cx.label(b.schema, b.name, cb.name)
    _column_draft(
        cx,
        kind,
        b,
        cb.name,
        [gen.sql("modify_column", table=table, column_def=new_def), *late_new],
        [gen.sql("modify_column", table=table, column_def=old_def), *late_old],
        f"Change column {label} ({', '.join(changed)}) to the desired definition "
        f"{new_def} by restating it whole.",
        hazards=hazards,
        notes=tuple(notes),
    )


def _per_attribute(cx: Ctx, b: model.Table, ca: model.Column, cb: model.Column) -> None:
    gen = cx.gen
    v = {"table": gen.qn(b.schema, b.name), "column": gen.q(cb.name)}
    label = cx.label(b.schema, b.name, cb.name)
    changed = _changed(ca, cb)

    def default_sql(c: model.Column) -> str | None:
        if c.default is None:
            return gen.sql("drop_default", **v)
        return gen.sql("set_default", default=c.default, **v)

    def type_sql(c: model.Column, prev: model.Column) -> list[str]:
        collate = ""
        if c.collation or "collation" in changed:
            name = gen.q(c.collation) if c.collation else gen.raw("default_collation", "")
            collate = gen.sql("collate", collation=name) or ""
        body = gen.sql("alter_column_type", type=c.type, collate=collate, **v)
        return [
            gen.sql("drop_default", **v) if prev.default else None,
            body,
            default_sql(c) if c.default else None,
        ]

    if "generated" in changed or "generated_stored" in changed:
        cx.disturbed.setdefault(b.key, f"its column {cb.name} is recreated")
        d_new, late_new = gen.column_def(b, cb)
        d_old, late_old = gen.column_def(b, ca)
        drop = gen.sql("drop_column", column=gen.q(cb.name), table=v["table"])
        lossy = ca.generated is None
        _column_draft(
            cx,
            "alter_column_generated",
            b,
            cb.name,
            [
                drop,
                gen.sql("add_column", table=v["table"], column_def=d_new, position=""),
                *late_new,
            ],
            None
            if lossy
            else [
                drop,
                gen.sql("add_column", table=v["table"], column_def=d_old, position=""),
                *late_old,
            ],
            f"Recreate column {label} as {d_new} because the server cannot change how a "
            "column is generated in place.",
            irreversible="the column's stored values are replaced" if lossy else None,
            hazards=("DATA_LOSS",) if lossy else (),
        )
        return  # the new definition covers every other attribute
    if "type" in changed or "collation" in changed:
        hazards, notes = _type_hazards(ca, cb) if "type" in changed else ((), [])
        cx.disturbed.setdefault(b.key, f"the type of its column {cb.name} changes")
        if "type" in changed:
            _cycle_foreign_keys(cx, b, cb.name)
        what = f"type {ca.type} -> {cb.type}" if "type" in changed else "collation"
        _column_draft(
            cx,
            "alter_column_type" if "type" in changed else "alter_column_collation",
            b,
            cb.name,
            type_sql(cb, ca),
            type_sql(ca, cb),
            f"Change the {what} of column {label} because the desired schema says so; "
            "the table is rewritten.",
            hazards=hazards,
            notes=tuple(notes),
        )
        changed = [c for c in changed if c not in ("type", "collation", "default")]
    if "nullable" in changed:
        if cb.nullable:
            fwd, back = gen.sql("drop_not_null", **v), gen.sql("set_not_null", **v)
            text = f"Allow NULL in column {label} because the desired schema does."
            kind, hazards = "drop_not_null", ()
        else:
            fwd, back = gen.sql("set_not_null", **v), gen.sql("drop_not_null", **v)
            text = (
                f"Make column {label} NOT NULL because the desired schema does; it fails "
                "if a row holds NULL (the whole table is scanned)."
            )
            kind, hazards = "set_not_null", ("DATA_DEPENDENT",)
        _column_draft(cx, kind, b, cb.name, [fwd], [back], text, hazards=hazards)
    if "default" in changed:
        _column_draft(
            cx,
            "set_default" if cb.default is not None else "drop_default",
            b,
            cb.name,
            [default_sql(cb)],
            [default_sql(ca)],
            f"Set the default of column {label} to {cb.default or 'none'} because the desired "
            "schema says so; existing rows keep their values.",
        )
    if "identity" in changed:

        def identity_sql(old, new):
            if new is None:
                return gen.sql("drop_identity", **v)
            key = "add_identity" if old is None else "set_identity"
            return gen.sql(key, identity=new.upper(), **v)

        _column_draft(
            cx,
            "alter_column_identity",
            b,
            cb.name,
            [identity_sql(ca.identity, cb.identity)],
            [identity_sql(cb.identity, ca.identity)],
            f"Make column {label} {_identity_words(cb.identity)} because the desired schema "
            "says so.",
        )
    if "comment" in changed:
        text = gen.lit(cb.comment) if cb.comment is not None else "NULL"
        old = gen.lit(ca.comment) if ca.comment is not None else "NULL"
        _column_draft(
            cx,
            "comment_column",
            b,
            cb.name,
            [gen.sql("comment_column", text=text, **v)],
            [gen.sql("comment_column", text=old, **v)],
            f"Set the comment of column {label} to the desired schema's.",
        )


def _identity_words(identity: str | None) -> str:
    return f"an identity column ({identity})" if identity else "no longer an identity column"

"""Changing a user type the server cannot alter in place (an enum losing or reordering a
label, a domain or composite type with a new definition): swap it.

    CREATE TYPE _sqlx_new_<t> ... (the desired definition)
    ALTER TABLE ... ALTER COLUMN c TYPE _sqlx_new_<t> USING c::text::_sqlx_new_<t>  (each user)
    DROP TYPE <t>
    ALTER TYPE _sqlx_new_<t> RENAME TO <t>

Column defaults are dropped around the type change (they are typed) and set again after.
Array columns of the type move to an array of the new one. Views reading the columns are
recreated by the differ (the table is marked disturbed); routines whose arguments or result
use the type are dropped before the swap and created again after it (engine.planner.
diff_code; a trigger function's signature never names one). The rollback is the same swap back;
it fails if rows hold values the old type cannot.
"""

from __future__ import annotations

import dataclasses

from engine.ir import model
from engine.planner.diff_base import Ctx, ref
from engine.planner.order import Draft

NEW_PREFIX = "_sqlx_new_"


def _type_names(cx: Ctx, t: model.UserType) -> set[str]:
    names = {f"{t.schema}.{t.name}"}
    if t.schema == cx.gen.ir.default_schema:
        names.add(t.name)
    return names


def _users(cx: Ctx, t: model.UserType) -> list[tuple[model.Table, model.Column]]:
    """Columns of the type, or of an array of it (the array type depends on it too)."""
    names = _type_names(cx, t)
    return [(tb, c) for tb in cx.a.tables for c in tb.columns if c.type.removesuffix("[]") in names]


def _swap(cx: Ctx, src: model.UserType, dst: model.UserType, users) -> list[str]:
    gen = cx.gen
    temp = dataclasses.replace(dst, name=NEW_PREFIX + dst.name, comment=None)
    qtemp = gen.qn(temp.schema, temp.name)
    drop = "drop_domain" if src.kind == "domain" else "drop_type"
    rename = "rename_domain" if dst.kind == "domain" else "rename_type"
    sql = list(gen.create_type(temp))
    for table, c in users:
        v = {"table": gen.qn(table.schema, table.name), "column": gen.q(c.name)}
        if c.default is not None:
            sql.append(gen.sql("drop_default", **v))
        array = "[]" if c.type.endswith("[]") else ""
        sql.append(gen.sql("column_to_type", type=qtemp + array, **v))
        if c.default is not None:
            sql.append(gen.sql("set_default", default=c.default, **v))
    sql.append(gen.sql(drop, type=gen.qn(src.schema, src.name)))
    sql.append(gen.sql(rename, type=qtemp, new=gen.q(dst.name)))
    if dst.comment is not None:
        what = "DOMAIN" if dst.kind == "domain" else "TYPE"
        sql.append(
            gen.sql(
                "comment",
                object_kind=what,
                target=gen.qn(dst.schema, dst.name),
                text=gen.lit(dst.comment),
            )
        )
    return sql


def swap_type(cx: Ctx, ta: model.UserType, tb: model.UserType) -> Draft:
    users = _users(cx, ta)
    cx.swapped_types |= _type_names(cx, ta)
    for table, c in users:
        cx.disturbed.setdefault(table.key, f"the type of its column {c.name} is swapped")
    label = cx.label(tb.schema, tb.name)
    cols = ", ".join(cx.label(t.schema, t.name, c.name) for t, c in users) or "no column"
    return cx.add(
        Draft(
            phase="create_types",
            kind="alter_type_swap",
            target=ref("type", tb.schema, tb.name),
            steps=cx.steps(*_swap(cx, ta, tb, users)),
            rollback=cx.steps(*_swap(cx, tb, ta, users)),
            rationale=f"Replace {tb.kind} type {label} by one with the desired definition and "
            f"move its columns ({cols}) onto it, because the server cannot alter it in place.",
            lock=cx.gen.lock("alter_type_swap"),
            hazards=("DATA_DEPENDENT",) + (("TABLE_REWRITE",) if users else ()),
            notes=(
                "values the new type lacks make it fail; the rollback fails on values the old "
                "type lacks",
            ),
            provides=frozenset({("type", tb.schema, tb.name)}),
        )
    )

"""Diffing the code objects: views and materialised views, routines and triggers.

Views are code over tables, so a view is recreated (dropped before the table changes,
created after) not only when its definition changes but also when it reads a table the plan
disturbs (a column type change, a dropped or renamed column, a rebuild: PostgreSQL refuses
ALTER COLUMN TYPE under a view; SQLite cannot rename a table while a view names a missing
one) and, transitively, when it reads a view that is recreated. What a view reads is found
by parsing its definition with sqlglot (as engine.ir.render orders views). Routines use
CREATE OR REPLACE where the family has it (plan.json "replace_routine": a pattern and
replacement turning the stored CREATE into CREATE OR REPLACE), else drop + create in one
operation. Routine and trigger texts are compared loosely (diff_base.code_key): servers
echo them re-rendered.
"""

from __future__ import annotations

import re

from engine.ir import model
from engine.planner.diff_base import Ctx, by_key, code_key, comment_sql, draft, ref, tables_read

# -- views -----------------------------------------------------------------------------------


def diff_views(cx: Ctx) -> None:
    gen, dialect = cx.gen, cx.b.dialect
    a, b = by_key(cx.a.views), by_key(cx.b.views)
    sides = {"a": a, "b": b}
    reads = _Reads(
        lambda side_key: tables_read(sides[side_key[0]][side_key[1]].definition, dialect)
    )
    b_tables: dict[str, list] = {}
    for t in cx.b.tables:
        b_tables.setdefault(t.name, []).append(t.key)
    recreate: dict[tuple, str] = {}
    replace: set[tuple] = set()
    disturbed = sorted(cx.disturbed.items())
    for key in sorted(set(a) & set(b)):
        va, vb = a[key], b[key]
        for tkey, why in disturbed:
            names = {tkey[1], cx.table_renames.get(tkey, tkey[1])}
            if names & reads[("a", key)]:  # by name: a conservative match across schemas
                recreate[key] = f"it reads {cx.label(*tkey)} and {why}"
                break
        body_a = (va.definition, va.materialized, va.columns, va.indexes)
        body_b = (vb.definition, vb.materialized, vb.columns, vb.indexes)
        if key not in recreate and body_a != body_b:
            if gen.can("replace_view") and not va.materialized and not vb.materialized:
                replace.add(key)
            else:
                recreate[key] = "its definition changes"
    # transitively: a view reading a view that goes away or is recreated
    gone = {k for k in a if k not in b} | set(recreate) | replace
    changed = True
    while changed:
        changed = False
        for key in sorted(set(a) & set(b)):
            if key in recreate:
                continue
            hit = next((g for g in sorted(gone) if g[1] in reads[("a", key)]), None)
            if hit is not None:
                recreate[key] = f"it reads view {cx.label(*hit)}, which is recreated"
                replace.discard(key)
                gone.add(key)
                changed = True
    dropping = {k: a[k] for k in a if k not in b or k in recreate}
    for v in reversed(_dependency_order(dropping, "a", reads)):
        key = v.key
        readers = {("dropped_view", *k) for k in dropping if k != key and key[1] in reads[("a", k)]}
        kind = "drop_materialized_view" if v.materialized else "drop_view"
        why = recreate.get(key)
        name = gen.qn(v.schema, v.name)
        draft(
            cx,
            "drop_views",
            kind,
            ref("materialized_view" if v.materialized else "view", v.schema, v.name),
            [gen.sql(kind, view=name)],
            gen.create_view(cx.orig, v),
            f"Drop {'materialized ' if v.materialized else ''}view {cx.label(*key)} "
            + (
                f"to recreate it after the change because {why}."
                if why
                else "because the desired schema no longer has it."
            ),
            hazards=() if why else ("BACKWARD_INCOMPATIBLE",),
            provides=frozenset({("dropped_view", *key)}),
            requires=frozenset(readers),
        )
    acting = {
        k: v
        for k, v in b.items()
        if k not in a or k in recreate or k in replace or a[k].comment != v.comment
    }
    for v in _dependency_order(acting, "b", reads):
        key = v.key
        if key in a and key not in recreate and key not in replace:
            if a[key].comment != v.comment:
                what = "MATERIALIZED VIEW" if v.materialized else "VIEW"
                name = gen.qn(v.schema, v.name)
                draft(
                    cx,
                    "comments",
                    "comment_view",
                    ref("view", v.schema, v.name),
                    [comment_sql(cx, what, name, v.comment)],
                    [comment_sql(cx, what, name, a[key].comment)],
                    f"Set the comment of view {cx.label(*key)} to the desired schema's.",
                )
            continue
        needs = {("view", v.schema, n) for n in reads[("b", key)]}
        needs |= {("table", v.schema, n) for n in reads[("b", key)]}
        needs |= {("table", *k) for n in reads[("b", key)] for k in b_tables.get(n, ())}
        kind = "materialized_view" if v.materialized else "view"
        name = gen.qn(v.schema, v.name)
        if key in replace:
            draft(
                cx,
                "views",
                "replace_view",
                ref(kind, v.schema, v.name),
                [_replace_sql(cx, v)],
                [_replace_sql(cx, a[key])],
                f"Replace view {cx.label(*key)} with the desired definition.",
                provides=frozenset({("view", *key)}),
                requires=frozenset(needs),
            )
            continue
        why = recreate.get(key)
        drop_key = "drop_materialized_view" if v.materialized else "drop_view"
        draft(
            cx,
            "views",
            "create_view",
            ref(kind, v.schema, v.name),
            gen.create_view(cx.b, v),
            [gen.sql(drop_key, view=name)],
            f"{'Recreate' if why else 'Create'} {kind.replace('_', ' ')} {cx.label(*key)} "
            + (f"because {why}." if why else "because the desired schema has it."),
            provides=frozenset({("view", *key)}),
            requires=frozenset(needs),
        )


class _Reads(dict):
    """(side, view key) -> names the view reads, parsed on first use only (parsing every
    view of a large schema would dominate the diff)."""

    def __init__(self, compute) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key):
        value = self[key] = self.compute(key)
        return value


def _dependency_order(views: dict, side: str, reads: _Reads) -> list[model.View]:
    """`views` so each comes after the views (among them) it reads; ties by key."""
    names = {k[1] for k in views}
    done: set[str] = set()
    out: list[model.View] = []
    pending = sorted(views)
    while pending:
        ready = [k for k in pending if (reads[(side, k)] & names) - {k[1]} <= done]
        ready = ready or pending[:1]  # a cycle: keep going (the server will say)
        out += [views[k] for k in ready]
        done |= {k[1] for k in ready}
        pending = [k for k in pending if k not in ready]
    return out


def _replace_sql(cx: Ctx, v: model.View) -> str:
    from engine.ir.ddl import select_columns

    gen = cx.gen
    columns = ""
    if v.columns and tuple(v.columns) != select_columns(cx.b.dialect, v.definition):
        columns = f" ({gen.cols(v.columns)})"
    return gen.sql(
        "replace_view", view=gen.qn(v.schema, v.name), columns=columns, definition=v.definition
    )


# -- routines and triggers --------------------------------------------------------------------


def _args_key(args: str) -> str:
    parts = []
    for arg in (args or "").split(","):
        arg = re.split(r"\s+default\s+|\s*=\s*", arg.strip(), flags=re.IGNORECASE)[0]
        arg = re.sub(r"^(in|inout|out|variadic)\s+", "", arg, flags=re.IGNORECASE)
        parts.append(code_key(arg))
    return ",".join(p for p in parts if p)


def _drop_args(args: str) -> str:
    return ", ".join(
        re.split(r"\s+default\s+|\s*=\s*", a.strip(), flags=re.IGNORECASE)[0]
        for a in (args or "").split(",")
        if a.strip()
    )


def _routine_map(routines) -> dict:
    return {(r.schema, r.name, r.kind, _args_key(r.arguments)): r for r in routines}


def diff_routines(cx: Ctx) -> None:
    gen = cx.gen
    a, b = _routine_map(cx.a.routines), _routine_map(cx.b.routines)

    def drop(r: model.Routine) -> str | None:
        return gen.sql(
            "drop_routine",
            routine_kind=r.kind.upper(),
            routine=gen.qn(r.schema, r.name),
            arguments=_drop_args(r.arguments),
        )

    pattern = gen.raw("replace_routine")

    def replaced(r: model.Routine) -> str:
        return re.sub(pattern[0], pattern[1], r.definition, count=1, flags=re.IGNORECASE)

    for key in sorted(set(b) - set(a)):
        r = b[key]
        draft(
            cx,
            "routines",
            "create_routine",
            ref("routine", r.schema, r.name),
            [r.definition],
            [drop(r)],
            f"Create {r.kind} {cx.label(r.schema, r.name)}({r.arguments}) because the desired "
            "schema has it.",
            provides=frozenset({("routine", r.schema, r.name)}),
            requires=frozenset({("namespace", r.schema)}),
        )
    bound = {k: r for k, r in a.items() if _uses_swapped_type(cx, r)}
    for key in sorted(set(a) - set(b)):
        r = a[key]
        draft(
            cx,
            "unbind_routines" if key in bound else "drop_routines",
            "drop_routine",
            ref("routine", r.schema, r.name),
            [drop(r)],
            [r.definition],
            f"Drop {r.kind} {cx.label(r.schema, r.name)}({r.arguments}) because the desired "
            "schema no longer has it.",
            hazards=("BACKWARD_INCOMPATIBLE",),
        )
    for key in sorted(set(a) & set(b)):
        ra, rb = a[key], b[key]
        if key in bound:
            _recreate_routine(cx, ra, rb, drop)
            continue
        if ra.comment != rb.comment:
            target = gen.qn(rb.schema, rb.name) + f"({_drop_args(ra.arguments)})"
            what = rb.kind.upper()
            draft(
                cx,
                "comments",
                f"comment_{rb.kind}",
                ref("routine", rb.schema, rb.name),
                [comment_sql(cx, what, target, rb.comment)],
                [comment_sql(cx, what, target, ra.comment)],
                f"Set the comment of {rb.kind} {cx.label(rb.schema, rb.name)} to the desired "
                "schema's.",
                requires=frozenset({("routine", rb.schema, rb.name)}),
            )
        if code_key(ra.definition) == code_key(rb.definition):
            continue
        if pattern:
            steps, back = [replaced(rb)], [replaced(ra)]
        else:
            steps, back = [drop(ra), rb.definition], [drop(rb), ra.definition]
        draft(
            cx,
            "routines",
            "replace_routine",
            ref("routine", rb.schema, rb.name),
            steps,
            back,
            f"Replace {rb.kind} {cx.label(rb.schema, rb.name)} with the desired definition.",
            provides=frozenset({("routine", rb.schema, rb.name)}),
        )


def _uses_swapped_type(cx: Ctx, r: model.Routine) -> bool:
    """Do the routine's arguments or result name a type the plan swaps?"""
    if not cx.swapped_types:
        return False
    text = f"{r.arguments} {r.returns or ''}".replace('"', "")
    return any(
        re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", text) for name in cx.swapped_types
    )


def _recreate_routine(cx: Ctx, ra: model.Routine, rb: model.Routine, drop) -> None:
    """Drop a routine before a type its signature uses is swapped, create it after: the
    server refuses to drop a type a routine's signature depends on."""
    label = f"{rb.kind} {cx.label(rb.schema, rb.name)}({rb.arguments})"
    what = rb.kind.upper()

    def comment(r: model.Routine) -> str | None:
        target = cx.gen.qn(r.schema, r.name) + f"({_drop_args(r.arguments)})"
        return comment_sql(cx, what, target, r.comment) if r.comment is not None else None

    draft(
        cx,
        "unbind_routines",
        "drop_routine",
        ref("routine", ra.schema, ra.name),
        [drop(ra)],
        [ra.definition, comment(ra)],
        f"Drop {label} to create it again after the swap of a type its signature uses "
        "(the server will not drop a type a routine depends on); grants on it are not kept.",
        notes=(
            "callers fail between this drop and the creation after the swap unless the plan "
            "runs as one transaction (transactional DDL)",
        ),
    )
    draft(
        cx,
        "routines",
        "create_routine",
        ref("routine", rb.schema, rb.name),
        [rb.definition, comment(rb)],
        [drop(rb)],
        f"Create {label} again on the swapped type.",
        provides=frozenset({("routine", rb.schema, rb.name)}),
    )


_CALLS = re.compile(r"EXECUTE\s+(?:FUNCTION|PROCEDURE)\s+([\w$.\"]+)\s*\(", re.IGNORECASE)


def diff_triggers(cx: Ctx) -> None:
    gen = cx.gen
    a, b = by_key(cx.a.triggers), by_key(cx.b.triggers)
    orig = by_key(cx.orig.triggers)

    def original(t: model.Trigger) -> model.Trigger:
        """The trigger as the source has it (its drop runs before the table renames)."""
        table = cx.table_renames.get((t.schema, t.table), t.table)
        return orig.get((t.schema, table, t.name), t)

    def drop(t: model.Trigger) -> str | None:
        name = gen.q(t.name) if gen.schemas else gen.qn(t.schema, t.name)
        return gen.sql("drop_trigger", name=name, table=gen.qn(t.schema, t.table))

    def needs(t: model.Trigger) -> frozenset:
        out = {("table", t.schema, t.table)}
        m = _CALLS.search(t.definition)
        if m:
            parts = m.group(1).replace('"', "").split(".")
            out.add(("routine", parts[0] if len(parts) > 1 else t.schema, parts[-1]))
        return frozenset(out)

    for key in sorted(set(a) | set(b)):
        ta, tb = a.get(key), b.get(key)
        table = (key[0], key[1])
        if table in cx.rebuilt:
            continue  # the rebuild recreates the table's triggers
        if ta is not None and tb is not None and code_key(ta.definition) == code_key(tb.definition):
            continue
        if ta is not None and table not in cx.dropped_tables:
            draft(
                cx,
                "drop_triggers",
                "drop_trigger",
                ref("trigger", ta.schema, ta.name, ta.table),
                [drop(original(ta))],
                [original(ta).definition],
                f"Drop trigger {ta.name} on {cx.label(*table)} because the desired schema "
                + ("defines it differently (it is recreated)." if tb else "no longer has it."),
            )
        if tb is not None:
            draft(
                cx,
                "triggers",
                "create_trigger",
                ref("trigger", tb.schema, tb.name, tb.table),
                [tb.definition],
                [drop(tb)],
                f"Create trigger {tb.name} on {cx.label(*table)} because the desired schema "
                "has it.",
                requires=needs(tb),
            )

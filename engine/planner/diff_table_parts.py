"""Diffing the parts of a table kept on both sides that are not columns: declared renames
of its constraints, indexes (a changed index is dropped and created; one differing only by
name is renamed where the family can), table options, the table comment, and partitions
(PostgreSQL adds and drops partitions; MySQL restates the whole PARTITION BY; a family that
can do neither refuses with PlanRefused rather than guess a procedure that could lose rows).

Declared constraint renames are done here, per table, rather than with the other declared
renames in engine.planner.diff: where the family cannot rename a kind of constraint the
table's own diff drops and adds it (or rebuilds the table), and those operations must say
that a declared rename was not honoured and why (plan.json "rename_constraint_refused").
"""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.errors import PlanError, PlanRefused
from engine.ir import model
from engine.planner.diff_base import Ctx, by_name, ref, renamed_pairs, table_op
from engine.planner.order import Draft

# -- declared constraint renames ------------------------------------------------------------

#: Table attribute -> the ObjectRef kind of the constraints it holds
_NAMED = {"uniques": "unique", "checks": "check", "foreign_keys": "foreign_key"}
#: ObjectRef kinds a constraint's drop/add operations target (a unique index is an "index")
_CONSTRAINT_REFS = frozenset({"primary_key", *_NAMED.values(), "index"})


def _constraint(t: model.Table, name: str) -> tuple[str, Any] | None:
    """(kind, record) of the constraint called `name` on `t`. A unique index counts: a
    family without unique constraints of its own (MySQL) learns them as unique indexes."""
    if t.primary_key is not None and t.primary_key.name == name:
        return "primary_key", t.primary_key
    for attr, kind in _NAMED.items():
        found = next((c for c in getattr(t, attr) if c.name == name), None)
        if found is not None:
            return kind, found
    index = next((i for i in t.indexes if i.unique and i.name == name), None)
    return ("unique_index", index) if index is not None else None


def _with_name(t: model.Table, kind: str, old: str, new: str) -> model.Table:
    def renamed(items):
        return tuple(dataclasses.replace(c, name=new) if c.name == old else c for c in items)

    if kind == "primary_key":
        return dataclasses.replace(t, primary_key=dataclasses.replace(t.primary_key, name=new))
    if kind == "unique_index":
        return dataclasses.replace(t, indexes=renamed(t.indexes))
    attr = next(a for a, k in _NAMED.items() if k == kind)
    return dataclasses.replace(t, **{attr: renamed(getattr(t, attr))})


_WORDS = {"primary_key": "primary key", "unique_index": "unique", "foreign_key": "foreign key"}


def _words(kind: str) -> str:
    return _WORDS.get(kind, kind)


def _rename_sql(cx: Ctx, key: str, t: model.Table, old: str, new: str) -> str | None:
    gen = cx.gen
    return gen.sql(
        key, table=gen.qn(t.schema, t.name), index=gen.qn(t.schema, old), name=gen.q(old),
        new=gen.q(new),
    )  # fmt: skip


def declared_constraint_renames(
    cx: Ctx, a: model.Table, b: model.Table
) -> tuple[model.Table, dict[str, str]]:
    """`a` with the declared renames of its constraints done (one rename operation each,
    catalog only: nothing is validated or rebuilt) where the family can rename that kind;
    and, for the others, a note per constraint name (old and new) saying why the plan
    drops and adds it instead. A rename already done (old name gone, new one there) is
    skipped, one whose old name `a` never had is noted on the new constraint's add, and one
    to a name the desired table lacks is a PlanError, as for columns."""
    gen, label = cx.gen, cx.label(b.schema, b.name)
    notes: dict[str, str] = {}
    for r in cx.plan.renames:
        if r.kind != "constraint" or r.schema != b.schema or r.table not in (b.name, None):
            continue
        old, clash, want = _constraint(a, r.old), _constraint(a, r.new), _constraint(b, r.new)
        if old is None or clash is not None:
            if old is None and clash is None and want is not None and r.table is not None:
                notes[r.new] = (
                    f"declared rename of constraint {r.old} to {r.new} ignored: {label} has no "
                    f"constraint {r.old}, so {r.new} is added as a new constraint"
                )
            continue
        if want is None or want[0] != old[0]:
            what = f"no {_words(old[0])} constraint {r.new}"
            raise PlanError(
                f"declared rename of constraint {label}.{r.old} to {r.new}: the desired "
                f"schema has {what} on {label}"
            )
        key = "rename_index" if old[0] == "unique_index" else "rename_constraint"
        if not gen.can(key):
            refused = gen.data.get("rename_constraint_refused", {})
            why = refused.get(old[0], refused.get("*", "the server cannot rename it"))
            notes[r.old] = notes[r.new] = (
                f"declared rename of {_words(old[0])} constraint {r.old} to {r.new} not "
                f"honoured: {why}"
            )
            continue
        a = _with_name(a, old[0], r.old, r.new)
        differs = _constraint(a, r.new) != want
        table_op(
            cx,
            "rename",
            "rename_constraint",
            ref("unique" if old[0] == "unique_index" else old[0], b.schema, r.new, b.name),
            [_rename_sql(cx, key, b, r.old, r.new)],
            [_rename_sql(cx, key, b, r.new, r.old)],
            f"Rename {_words(old[0])} constraint {r.old} of {label} to {r.new} as declared: a "
            "catalog change, no row is checked again and no index is rebuilt.",
            notes=(
                f"the desired schema also defines {r.new} differently: it is then dropped "
                "and added again under its new name",
            )
            if differs
            else (),
        )
    return a, notes


def refuse_renames_in_dropped(cx: Ctx, t: model.Table) -> None:
    """A declared rename of a constraint of a table the desired schema drops names
    something that will not exist: a PlanError, as for a column of such a table."""
    for r in cx.plan.renames:
        if r.kind == "constraint" and (r.schema, r.table) == t.key and _constraint(t, r.old):
            label = cx.label(t.schema, t.name)
            raise PlanError(
                f"declared rename of constraint {label}.{r.old} to {r.new}: the desired "
                f"schema has no table {label}"
            )


def note_unhonoured(drafts: list[Draft], notes: dict[str, str]) -> None:
    """Add each note to the drafts that drop or add the constraint it names (or rebuild
    the whole table, which gives the constraint its new name); not to a rename of the
    index behind it (MySQL's foreign key index), which is a rename."""
    for d in drafts:
        if d.kind == "rebuild_table":
            wanted = list(notes.values())
        elif (
            d.target.kind in _CONSTRAINT_REFS
            and d.target.name in notes
            and d.kind.startswith(("drop_", "add_", "create_"))
        ):
            wanted = [notes[d.target.name]]
        else:
            continue
        d.notes += tuple(n for n in dict.fromkeys(wanted) if n not in d.notes)


# -- indexes --------------------------------------------------------------------------------


def _index_sql(cx: Ctx, t: model.Table, index: model.Index, key: str) -> str | None:
    gen = cx.gen
    return gen.sql(
        key,
        index=gen.qn(t.schema, index.name),
        name=gen.q(index.name),
        table=gen.qn(t.schema, t.name),
    )


def create_index(
    cx: Ctx, t, index: model.Index, *, new_table: bool = False, why: str = ""
) -> Draft:
    gen = cx.gen
    label = cx.label(t.schema, t.name)
    hazards: tuple[str, ...] = () if new_table else ("INDEX_BUILD",)
    if index.unique and not new_table:
        hazards += ("DATA_DEPENDENT",)
    kind = "view" if isinstance(t, model.View) else "table"
    return cx.add(
        Draft(
            phase="indexes",
            kind="create_index",
            target=ref("index", t.schema, index.name, t.name),
            steps=cx.steps(*gen.create_index(t.schema, t.name, index)),
            rollback=cx.steps(_index_sql(cx, t, index, "drop_index")),
            rationale=why
            or f"Create {'unique ' if index.unique else ''}index {index.name} on "
            f"{label} because the desired schema has it"
            + (" (the table is new and empty)." if new_table else "; building it reads the table."),
            lock=gen.lock("create_index"),
            hazards=hazards,
            requires=frozenset({(kind, *t.key)}),
        )
    )


def drop_index(cx: Ctx, t, index: model.Index, why: str = "") -> Draft:
    gen = cx.gen
    return cx.add(
        Draft(
            phase="drop_indexes",
            kind="drop_index",
            target=ref("index", t.schema, index.name, t.name),
            steps=cx.steps(_index_sql(cx, t, index, "drop_index")),
            rollback=cx.steps(*gen.create_index(t.schema, t.name, index)),
            rationale=why
            or f"Drop index {index.name} of {cx.label(t.schema, t.name)} because the "
            "desired schema no longer has it; queries that used it get slower.",
            lock=gen.lock("drop_index"),
        )
    )


def diff_indexes(cx: Ctx, a, b) -> None:
    old, new = by_name(a.indexes), by_name(b.indexes)
    gen = cx.gen
    if gen.can("rename_index"):
        for o, n in renamed_pairs(old, new).items():
            v = {"table": gen.qn(b.schema, b.name)}
            table_op(
                cx,
                "indexes",
                "rename_index",
                ref("index", b.schema, n, b.name),
                [
                    gen.sql(
                        "rename_index", index=gen.qn(b.schema, o), name=gen.q(o), new=gen.q(n), **v
                    )
                ],
                [
                    gen.sql(
                        "rename_index", index=gen.qn(b.schema, n), name=gen.q(n), new=gen.q(o), **v
                    )
                ],
                f"Rename index {o} of {cx.label(*b.key)} to {n}, the name the desired schema gives "
                "it (same definition: no rebuild).",
            )
            new = {k: v for k, v in new.items() if k != n}
            old = {k: v for k, v in old.items() if k != o}
    for name in sorted(old):
        if new.get(name) != old[name]:
            why = ""
            if name in new:
                why = (
                    f"Drop index {name} of {cx.label(b.schema, b.name)} to recreate it with "
                    "the definition the desired schema gives it."
                )
            drop_index(cx, b, old[name], why)
    for name in sorted(new):
        if old.get(name) != new[name]:
            create_index(cx, b, new[name])


# -- options, comment, partitions ----------------------------------------------------------


def diff_options(cx: Ctx, a: model.Table, b: model.Table) -> None:
    gen, table = cx.gen, cx.gen.qn(b.schema, b.name)
    label = cx.label(b.schema, b.name)
    old, new = dict(a.options), dict(b.options)
    defaults = gen.ir.get("table_option_defaults", {})
    for key in sorted(set(new) | set(old)):
        value = new.get(key, defaults.get(key))
        if old.get(key) == new.get(key) or value is None:
            continue
        fwd = gen.table_option(key, value)
        back = gen.table_option(key, old.get(key, defaults.get(key)))
        back = back if key in old or key in defaults else None
        table_op(
            cx,
            "tables",
            "set_table_options",
            ref("table", b.schema, b.name),
            [gen.sql("table_option", table=table, option=fwd)],
            [gen.sql("table_option", table=table, option=back)] if back else None,
            f"Set table option {key}={value} on {label} because the desired schema says so.",
            irreversible=None if back else f"the table had no explicit {key} to go back to",
            hazards=("TABLE_REWRITE",),
        )
    if a.comment != b.comment:
        table_op(
            cx,
            "tables",
            "comment_table",
            ref("table", b.schema, b.name),
            [gen.sql("comment_table", table=table, text=_comment_text(cx, b.comment))],
            [gen.sql("comment_table", table=table, text=_comment_text(cx, a.comment))],
            f"Set the comment of table {label} to the desired schema's.",
        )


def _comment_text(cx: Ctx, text: str | None) -> str:
    if text is None:
        empty = cx.gen.templates.get("empty_comment")
        return cx.gen.lit(empty) if empty is not None else "NULL"
    return cx.gen.lit(text)


def _rebound_partition(cx: Ctx, b: model.Table, name: str, old: str, new: str) -> None:
    """A partition whose bound changes keeps its rows: detached before any partition is
    added (so bounds never overlap half-way), attached again with the new bound after; the
    attach checks every row against it and fails, changing nothing, if one falls outside."""
    gen, table = cx.gen, cx.gen.qn(b.schema, b.name)
    part = gen.qn(b.schema, name)
    label = cx.label(b.schema, b.name)
    detach = gen.sql("detach_partition", table=table, partition=part)
    table_op(
        cx,
        "drop_constraints",
        "detach_partition",
        ref("table", b.schema, name, b.name),
        [detach],
        [gen.sql("attach_partition", table=table, partition=part, bound=old)],
        f"Detach partition {name} of {label} so it can be attached again {new}; its rows "
        "are kept (the table does not show them until then).",
    )
    table_op(
        cx,
        "tables",
        "attach_partition",
        ref("table", b.schema, name, b.name),
        [gen.sql("attach_partition", table=table, partition=part, bound=new)],
        [detach],
        f"Attach partition {name} to {label} again {new}, as the desired schema bounds it; "
        "every row of it is checked against the new bound.",
        hazards=("DATA_DEPENDENT",),
        notes=("rows outside the new bound make the attach fail (nothing is lost)",),
    )


def diff_partitioning(cx: Ctx, a: model.Table, b: model.Table) -> None:
    pa, pb = a.partitioning, b.partitioning
    if pa == pb:
        return
    gen, table = cx.gen, cx.gen.qn(b.schema, b.name)
    label = cx.label(b.schema, b.name)
    same_scheme = pa and pb and (pa.strategy, pa.key) == (pb.strategy, pb.key)
    if same_scheme and gen.can("add_partition"):
        old, new = dict(pa.partitions), dict(pb.partitions)
        rebound = set()
        if gen.can("attach_partition"):
            rebound = {n for n in old if n in new and old[n] != new[n]}
            for name in sorted(rebound):
                _rebound_partition(cx, b, name, old[name], new[name])
        for name in sorted(old):
            if name not in rebound and new.get(name) != old[name]:
                table_op(
                    cx,
                    "drop_constraints",
                    "drop_partition",
                    ref("table", b.schema, name, b.name),
                    [gen.sql("drop_partition", partition=gen.qn(b.schema, name))],
                    None,
                    f"Drop partition {name} of {label} because the desired schema no longer "
                    "has it (or bounds it differently); its rows are lost.",
                    irreversible="the dropped partition's rows cannot be restored",
                    hazards=("DATA_LOSS",),
                )
        for name in sorted(new):
            if name not in rebound and old.get(name) != new[name]:
                table_op(
                    cx,
                    "tables",
                    "add_partition",
                    ref("table", b.schema, name, b.name),
                    [
                        gen.sql(
                            "add_partition",
                            partition=gen.qn(b.schema, name),
                            table=table,
                            bound=new[name],
                        )
                    ],
                    [gen.sql("drop_partition", partition=gen.qn(b.schema, name))],
                    f"Add partition {name} {new[name]} to {label} because the desired schema "
                    "has it.",
                )
        return
    if not gen.can("repartition"):
        raise PlanRefused(
            f"changing how table {label} is partitioned is not supported on this server by "
            "ALTER TABLE; migrate it by hand (create the new partitioned table, copy the rows, "
            "swap the names) or keep its partitioning"
        )

    def spelling(p) -> str:
        if p is None:
            return gen.sql("remove_partitioning", table=table)
        tail = gen.table_tail(dataclasses.replace(b, options=(), comment=None, partitioning=p))
        return gen.sql("repartition", table=table, partitioning=tail)

    table_op(
        cx,
        "tables",
        "repartition_table",
        ref("table", b.schema, b.name),
        [spelling(pb)],
        [spelling(pa)],
        f"Repartition table {label} as the desired schema says; every row moves.",
        hazards=("TABLE_REWRITE",),
    )

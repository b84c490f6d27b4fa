"""Diffing the parts of a table kept on both sides that are not columns or constraints:
indexes (a changed index is dropped and created; one differing only by name is renamed
where the family can), table options, the table comment, and partitions (PostgreSQL adds
and drops partitions; MySQL restates the whole PARTITION BY; a family that can do neither
refuses with PlanRefused rather than guess a procedure that could lose rows).
"""

from __future__ import annotations

import dataclasses

from engine.errors import PlanRefused
from engine.ir import model
from engine.planner.diff_base import Ctx, by_name, ref, renamed_pairs, table_op
from engine.planner.order import Draft

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


def diff_partitioning(cx: Ctx, a: model.Table, b: model.Table) -> None:
    pa, pb = a.partitioning, b.partitioning
    if pa == pb:
        return
    gen, table = cx.gen, cx.gen.qn(b.schema, b.name)
    label = cx.label(b.schema, b.name)
    same_scheme = pa and pb and (pa.strategy, pa.key) == (pb.strategy, pb.key)
    if same_scheme and gen.can("add_partition"):
        old, new = dict(pa.partitions), dict(pb.partitions)
        for name in sorted(old):
            if new.get(name) != old[name]:
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
            if old.get(name) != new[name]:
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

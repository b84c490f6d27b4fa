"""What every part of the differ shares: the two snapshots, the SQL generator, the drafts
made so far, and small helpers for names, object keys and code comparison.

Object keys (`provides` / `requires` of a draft, see engine.planner.order) are tuples:
("table", schema, name), ("view", schema, name), ("routine", schema, name), ("type", schema,
name), ("sequence", schema, name), ("namespace", name), ("dropped_view", schema, name),
("dropped_table", schema, name).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from engine.ir import model
from engine.planner.model import ObjectRef, PlanContext, Step
from engine.planner.order import Draft
from engine.planner.sqlgen import SqlGen


@dataclass
class Ctx:
    """The differ's working state. `a` is the source snapshot with declared renames already
    applied (so it compares name for name with `b`); `orig` is the source as it was."""

    gen: SqlGen
    orig: model.Snapshot
    a: model.Snapshot
    b: model.Snapshot
    plan: PlanContext
    drafts: list[Draft] = field(default_factory=list)
    #: (schema, table) -> why views reading it must be dropped before and recreated after
    disturbed: dict[tuple[str, str], str] = field(default_factory=dict)
    #: tables rebuilt by one rebuild_table op (their indexes/triggers come with it)
    rebuilt: set[tuple[str, str]] = field(default_factory=set)
    #: tables dropped by the plan (their triggers, indexes, owned sequences go with them)
    dropped_tables: set[tuple[str, str]] = field(default_factory=set)
    #: (schema, table, column) dropped by the plan
    dropped_columns: set[tuple[str, str, str]] = field(default_factory=set)
    #: foreign keys dropped before and re-added after a column type change: (schema, table, fk)
    fk_cycled: set[tuple[str, str, str]] = field(default_factory=set)
    #: (schema, new table name) -> old name, for declared table renames
    table_renames: dict[tuple[str, str], str] = field(default_factory=dict)
    #: names of user types swapped by the plan ("schema.name", and "name" in the default
    #: schema): routines whose signatures use them are dropped before and recreated after
    swapped_types: set[str] = field(default_factory=set)
    #: notes from suspected renames: (kind, schema, table, name) -> note
    suspect_notes: dict[tuple, str] = field(default_factory=dict)

    def add(self, draft: Draft) -> Draft:
        self.drafts.append(draft)
        return draft

    def steps(self, *sql: str | None) -> tuple[Step, ...]:
        return tuple(Step(sql=s) for s in sql if s)

    def tname(self, schema: str, name: str) -> str:
        return self.gen.qn(schema, name)

    def label(self, schema: str, *names: str | None) -> str:
        """How a rationale names an object: schema shown only where it is not the default,
        then the names in order (table, column)."""
        default = self.gen.ir.default_schema
        parts = [p for p in (schema if schema != default else "", *names) if p]
        return ".".join(parts)


def ref(kind: str, schema: str, name: str, table: str | None = None) -> ObjectRef:
    return ObjectRef(kind=kind, schema=schema, name=name, table=table)


def by_key(items) -> dict:
    return {i.key: i for i in items}


def by_name(items) -> dict:
    return {i.name: i for i in items}


_DOLLAR = re.compile(r"\$[A-Za-z_]*\$")
_DEFINER = re.compile(r"\bdefiner\s*=\s*\S+\s*", re.IGNORECASE)


def code_key(text: str | None) -> str:
    """A loose form of a routine or trigger statement for "did it change": servers echo
    these re-rendered (OR REPLACE, $function$ quoting, quoted names, layout, schema-qualified
    names, IN modes, int(11)), so two texts of the same code compare equal here; a real edit
    of the body still shows."""
    t = (text or "").strip().rstrip(";")
    t = _DEFINER.sub("", t)
    t = _DOLLAR.sub("$$", t)
    t = re.sub(r"^\s*create\s+(or\s+replace\s+)?", "create ", t, flags=re.IGNORECASE)
    t = t.replace('"', "").replace("`", "")
    t = " ".join(t.lower().split())
    # the object's own schema qualifier (it is part of the key already), IN modes, and
    # integer display widths are echoes, not edits
    t = re.sub(r"^create (function|procedure|trigger) [\w$]+\.", r"create \1 ", t)
    t = re.sub(r"([(,]\s*)in\s+", r"\1", t)
    return re.sub(r"\b(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)", r"\1", t)


@functools.lru_cache(maxsize=16384)
def tables_read(sql: str, dialect: str) -> frozenset[str]:
    """Names of the tables/views a view definition reads (as engine.ir.render does)."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
        return frozenset(t.name for t in tree.find_all(exp.Table))
    except Exception:
        return frozenset(re.findall(r"[A-Za-z_][\w$]*", sql))


def rename_word(text: str | None, old: str, new: str) -> str | None:
    """`old` replaced by `new` as a whole identifier in a SQL fragment (quoted or not)."""
    if text is None:
        return None
    out = re.sub(rf'(?<![\w$"`]){re.escape(old)}(?![\w$"`])', new, text)
    for q in ('"', "`"):
        out = out.replace(f"{q}{old}{q}", f"{q}{new}{q}")
    return out


def draft(cx: Ctx, phase: str, kind: str, target, steps, back, rationale: str, **kw) -> Draft:
    return cx.add(
        Draft(
            phase=phase,
            kind=kind,
            target=target,
            steps=cx.steps(*steps),
            rollback=cx.steps(*back) if back is not None else None,
            rationale=rationale,
            lock=cx.gen.lock(kind),
            **kw,
        )
    )


def comment_sql(cx: Ctx, kind: str, target: str, text: str | None) -> str | None:
    return cx.gen.sql(
        "comment",
        object_kind=kind,
        target=target,
        text=cx.gen.lit(text) if text is not None else "NULL",
    )


def table_op(cx: Ctx, phase: str, kind: str, target, sql, back, rationale: str, **kw) -> Draft:
    gen = cx.gen
    table = (target.schema, target.table or target.name)
    kw.setdefault("requires", frozenset({("table", *table)}))
    # every change of a table provides it: the table's operations chain in run order
    kw.setdefault("provides", frozenset({("table", *table)}))
    return cx.add(
        Draft(
            phase=phase,
            kind=kind,
            target=target,
            steps=cx.steps(*sql),
            rollback=cx.steps(*back) if back is not None else None,
            rationale=rationale,
            lock=gen.lock(kind),
            **kw,
        )
    )


def renamed_pairs(old: dict, new: dict) -> dict[str, str]:
    """old name -> new name for objects only on one side each that are equal but for it."""
    out: dict[str, str] = {}
    for name, o in sorted(old.items()):
        if name in new:
            continue
        match = next(
            (
                n
                for n in sorted(new)
                if n not in old
                and n not in out.values()
                and dataclasses.replace(o, name=n) == new[n]
            ),
            None,
        )
        if match is not None:
            out[name] = match
    return out

"""Diffing the objects around the tables: schemas, extensions, user types (enum labels
added in place, composite attributes added or dropped in place, anything else swapped by
engine.planner.diff_types) and sequences (create, drop, alter, ownership, comments).
"""

from __future__ import annotations

import dataclasses

from engine.ir import model
from engine.planner.diff_base import Ctx, by_key, comment_sql, draft, ref

# -- namespaces and extensions --------------------------------------------------------------


def diff_namespaces(cx: Ctx) -> None:
    gen = cx.gen
    a, b = by_key(cx.a.namespaces), by_key(cx.b.namespaces)
    for key in sorted(set(b) - set(a)):
        ns = b[key]
        q = gen.q(ns.name)
        draft(
            cx,
            "create_namespaces",
            "create_schema",
            ref("namespace", "", ns.name),
            [
                gen.sql("create_schema", schema=q),
                comment_sql(cx, "SCHEMA", q, ns.comment) if ns.comment else None,
            ],
            [gen.sql("drop_schema", schema=q)],
            f"Create schema {ns.name} because the desired schema has it.",
            provides=frozenset({("namespace", ns.name)}),
        )
    for key in sorted(set(a) - set(b)):
        ns = a[key]
        q = gen.q(ns.name)
        draft(
            cx,
            "drop_namespaces",
            "drop_schema",
            ref("namespace", "", ns.name),
            [gen.sql("drop_schema", schema=q)],
            [gen.sql("create_schema", schema=q)],
            f"Drop schema {ns.name} because the desired schema no longer has it (it is "
            "empty by now: everything in it is dropped before).",
            hazards=("BACKWARD_INCOMPATIBLE",),
        )
    for key in sorted(set(a) & set(b)):
        if a[key].comment != b[key].comment:
            q = gen.q(key[0])
            draft(
                cx,
                "comments",
                "comment_schema",
                ref("namespace", "", key[0]),
                [comment_sql(cx, "SCHEMA", q, b[key].comment)],
                [comment_sql(cx, "SCHEMA", q, a[key].comment)],
                f"Set the comment of schema {key[0]} to the desired schema's.",
            )


def diff_extensions(cx: Ctx) -> None:
    gen = cx.gen
    a, b = by_key(cx.a.extensions), by_key(cx.b.extensions)

    def create(e: model.Extension) -> str:
        sql = gen.sql("create_extension", name=gen.q(e.name))
        if e.schema:
            sql += f" WITH SCHEMA {gen.q(e.schema)}"
        return sql

    for key in sorted(set(b) - set(a)):
        e = b[key]
        draft(
            cx,
            "create_namespaces",
            "create_extension",
            ref("extension", e.schema, e.name),
            [create(e)],
            [gen.sql("drop_extension", name=gen.q(e.name))],
            f"Install extension {e.name} because the desired schema uses it.",
            requires=frozenset({("namespace", e.schema)}),
            provides=frozenset({("extension", e.name)}),
        )
    for key in sorted(set(a) - set(b)):
        e = a[key]
        draft(
            cx,
            "drop_extensions",
            "drop_extension",
            ref("extension", e.schema, e.name),
            [gen.sql("drop_extension", name=gen.q(e.name))],
            [create(e)],
            f"Remove extension {e.name} because the desired schema no longer uses it.",
            hazards=("BACKWARD_INCOMPATIBLE",),
        )
    for key in sorted(set(a) & set(b)):
        ea, eb = a[key], b[key]
        if eb.version and ea.version != eb.version:
            draft(
                cx,
                "create_namespaces",
                "alter_extension",
                ref("extension", eb.schema, eb.name),
                [
                    gen.sql(
                        "alter_extension_version", name=gen.q(eb.name), version=gen.lit(eb.version)
                    )
                ],
                [
                    gen.sql(
                        "alter_extension_version", name=gen.q(eb.name), version=gen.lit(ea.version)
                    )
                ]
                if ea.version
                else None,
                f"Update extension {eb.name} to version {eb.version} as the desired schema says.",
                irreversible=None if ea.version else "the old version is unknown",
            )


# -- user types ------------------------------------------------------------------------------


def _type_drop_key(t: model.UserType) -> str:
    return "drop_domain" if t.kind == "domain" else "drop_type"


def diff_types(cx: Ctx) -> None:
    gen = cx.gen
    a, b = by_key(cx.a.types), by_key(cx.b.types)
    for key in sorted(set(b) - set(a)):
        t = b[key]
        name = gen.qn(t.schema, t.name)
        draft(
            cx,
            "create_types",
            "create_type",
            ref("type", t.schema, t.name),
            gen.create_type(t),
            [gen.sql(_type_drop_key(t), type=name)],
            f"Create {t.kind} type {cx.label(t.schema, t.name)} because the desired schema has it.",
            provides=frozenset({("type", *t.key)}),
            requires=frozenset({("namespace", t.schema)}),
        )
    for key in sorted(set(a) - set(b)):
        t = a[key]
        draft(
            cx,
            "drop_types",
            "drop_type",
            ref("type", t.schema, t.name),
            [gen.sql(_type_drop_key(t), type=gen.qn(t.schema, t.name))],
            gen.create_type(t),
            f"Drop {t.kind} type {cx.label(t.schema, t.name)} because the desired schema no "
            "longer has it (nothing uses it by now).",
            hazards=("BACKWARD_INCOMPATIBLE",),
        )
    for key in sorted(set(a) & set(b)):
        ta, tb = a[key], b[key]
        if ta == tb:
            continue
        same_body = (ta.kind, ta.labels, ta.definition) == (tb.kind, tb.labels, tb.definition)
        if same_body:
            what = "DOMAIN" if tb.kind == "domain" else "TYPE"
            name = gen.qn(tb.schema, tb.name)
            draft(
                cx,
                "comments",
                "comment_type",
                ref("type", tb.schema, tb.name),
                [comment_sql(cx, what, name, tb.comment)],
                [comment_sql(cx, what, name, ta.comment)],
                f"Set the comment of type {cx.label(*tb.key)} to the desired schema's.",
            )
        elif _labels_appended(ta, tb) and gen.can("enum_add_value"):
            _enum_add(cx, ta, tb)
        elif _attributes_only(ta, tb) is not None and gen.can("add_attribute"):
            _alter_attributes(cx, ta, tb)
        else:
            from engine.planner.diff_types import swap_type

            swap_type(cx, ta, tb)


def _labels_appended(ta: model.UserType, tb: model.UserType) -> bool:
    """True when tb's labels are ta's with new ones inserted (old order kept)."""
    if ta.kind != "enum" or tb.kind != "enum" or len(tb.labels) <= len(ta.labels):
        return False
    it = iter(tb.labels)
    return all(label in it for label in ta.labels)


def _enum_add(cx: Ctx, ta: model.UserType, tb: model.UserType) -> None:
    gen = cx.gen
    name = gen.qn(tb.schema, tb.name)
    steps = []
    for i, label in enumerate(tb.labels):
        if label in ta.labels:
            continue
        if i:  # the label before it exists by now (old, or added by the previous step)
            position = gen.sql("enum_add_value_after", label=gen.lit(tb.labels[i - 1]))
        else:
            first_old = next(x for x in tb.labels if x in ta.labels)
            position = gen.sql("enum_add_value_before", label=gen.lit(first_old))
        steps.append(gen.sql("enum_add_value", type=name, label=gen.lit(label), position=position))
    added = [x for x in tb.labels if x not in ta.labels]
    op = draft(
        cx,
        "create_types",
        "alter_enum_add_value",
        ref("type", tb.schema, tb.name),
        steps,
        None,
        f"Add value(s) {', '.join(added)} to enum {cx.label(*tb.key)} because the "
        "desired schema has them; existing rows are untouched.",
        irreversible="the server cannot remove a value from an enum type",
        provides=frozenset({("type", *tb.key)}),
    )
    if "enum_add_value" in gen.data.get("outside_transaction", []):
        op.steps = tuple(dataclasses.replace(st, transactional=False) for st in op.steps)
        op.notes += (
            "runs outside a transaction: a new label cannot be used by the "
            "transaction that adds it",
        )


def _attributes(t: model.UserType) -> dict[str, str] | None:
    """A composite type's attributes, name -> whole attribute text (None: not composite)."""
    if t.kind != "composite" or not t.definition:
        return None
    out, depth, start = {}, 0, 0
    text = t.definition
    for i, ch in enumerate(text + ","):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            part = text[start:i].strip()
            if part:
                out[part.split()[0]] = part
            start = i + 1
    return out


def _attributes_only(ta: model.UserType, tb: model.UserType) -> tuple | None:
    """(added, dropped) attribute names when every kept attribute is unchanged."""
    old, new = _attributes(ta), _attributes(tb)
    if old is None or new is None:
        return None
    if any(old[n] != new[n] for n in old if n in new):
        return None
    return [n for n in new if n not in old], [n for n in old if n not in new]


def _alter_attributes(cx: Ctx, ta: model.UserType, tb: model.UserType) -> None:
    gen = cx.gen
    name = gen.qn(tb.schema, tb.name)
    old, new = _attributes(ta), _attributes(tb)
    added, dropped = _attributes_only(ta, tb)
    steps = [gen.sql("drop_attribute", type=name, name=gen.q(n)) for n in dropped]
    steps += [gen.sql("add_attribute", type=name, attribute=new[n]) for n in added]
    back = [gen.sql("drop_attribute", type=name, name=gen.q(n)) for n in added]
    back += [gen.sql("add_attribute", type=name, attribute=old[n]) for n in dropped]
    draft(
        cx,
        "create_types",
        "alter_type_attributes",
        ref("type", tb.schema, tb.name),
        steps,
        None if dropped else back,
        f"Change the attributes of composite type {cx.label(*tb.key)} (add {added or 'none'}, "
        f"drop {dropped or 'none'}) in place because the desired schema says so.",
        irreversible="the dropped attributes' values cannot be restored" if dropped else None,
        hazards=("DATA_LOSS",) if dropped else (),
        provides=frozenset({("type", *tb.key)}),
    )


# -- sequences -------------------------------------------------------------------------------


def _seq_changes(cx: Ctx, a: model.Sequence, b: model.Sequence) -> str:
    words = []
    if a.data_type != b.data_type and cx.gen.r.r.get("sequence_as_type"):
        words.append(f"AS {b.data_type}")
    if a.increment != b.increment:
        words.append(f"INCREMENT BY {b.increment}")
    if a.min_value != b.min_value:
        words.append(f"MINVALUE {b.min_value}" if b.min_value is not None else "NO MINVALUE")
    if a.max_value != b.max_value:
        words.append(f"MAXVALUE {b.max_value}" if b.max_value is not None else "NO MAXVALUE")
    if a.start != b.start:
        words.append(f"START WITH {b.start}")
    if a.cache != b.cache:
        words.append(f"CACHE {b.cache}")
    if a.cycle != b.cycle:
        words.append("CYCLE" if b.cycle else "NO CYCLE")
    return "".join(" " + w for w in words)


def _owner(cx: Ctx, seq: model.Sequence) -> str | None:
    gen = cx.gen
    if not seq.owned_by:
        return gen.sql("sequence_owned_by_none", sequence=gen.qn(seq.schema, seq.name))
    owner = ".".join(gen.q(p) for p in seq.owned_by.split("."))
    if gen.schemas and seq.schema:
        owner = f"{gen.q(seq.schema)}.{owner}"
    return gen.sql("sequence_owned_by", sequence=gen.qn(seq.schema, seq.name), owner=owner)


def _owner_gone(cx: Ctx, seq: model.Sequence) -> bool:
    """A sequence owned by a column the plan drops goes with it (the server drops it)."""
    if not seq.owned_by or "." not in seq.owned_by:
        return False
    table, column = seq.owned_by.rsplit(".", 1)
    return (seq.schema, table) in cx.dropped_tables or (
        seq.schema,
        table,
        column,
    ) in cx.dropped_columns


def diff_sequences(cx: Ctx) -> None:
    gen = cx.gen
    a, b = by_key(cx.a.sequences), by_key(cx.b.sequences)
    for key in sorted(set(b) - set(a)):
        s = b[key]
        name = gen.qn(s.schema, s.name)
        draft(
            cx,
            "create_sequences",
            "create_sequence",
            ref("sequence", s.schema, s.name),
            gen.create_sequence(s),
            [gen.sql("drop_sequence", sequence=name)],
            f"Create sequence {cx.label(*s.key)} because the desired schema has it.",
            provides=frozenset({("sequence", *s.key)}),
            requires=frozenset({("namespace", s.schema)}),
        )
        if s.owned_by:
            _set_owner(cx, None, s)
    for key in sorted(set(a) - set(b)):
        s = a[key]
        if _owner_gone(cx, s):
            continue
        name = gen.qn(s.schema, s.name)
        draft(
            cx,
            "drop_sequences",
            "drop_sequence",
            ref("sequence", s.schema, s.name),
            [gen.sql("drop_sequence", sequence=name)],
            gen.create_sequence(s),
            f"Drop sequence {cx.label(*s.key)} because the desired schema no longer has it.",
            hazards=("BACKWARD_INCOMPATIBLE",),
            notes=("a rollback recreates it at its START value, not where it had got to",),
        )
    for key in sorted(set(a) & set(b)):
        sa, sb = a[key], b[key]
        name = gen.qn(sb.schema, sb.name)
        changes, back = _seq_changes(cx, sa, sb), _seq_changes(cx, sb, sa)
        if changes:
            draft(
                cx,
                "create_sequences",
                "alter_sequence",
                ref("sequence", sb.schema, sb.name),
                [gen.sql("alter_sequence", sequence=name, changes=changes)],
                [gen.sql("alter_sequence", sequence=name, changes=back)],
                f"Change sequence {cx.label(*sb.key)} ({changes.strip()}) as the desired "
                "schema says; it fails if the current value falls outside new bounds.",
                provides=frozenset({("sequence", *sb.key)}),
            )
        if sa.owned_by != sb.owned_by:
            _set_owner(cx, sa, sb)
        if sa.comment != sb.comment:
            draft(
                cx,
                "comments",
                "comment_sequence",
                ref("sequence", sb.schema, sb.name),
                [comment_sql(cx, "SEQUENCE", name, sb.comment)],
                [comment_sql(cx, "SEQUENCE", name, sa.comment)],
                f"Set the comment of sequence {cx.label(*sb.key)} to the desired schema's.",
            )


def _set_owner(cx: Ctx, old: model.Sequence | None, new: model.Sequence) -> None:
    table = new.owned_by.rsplit(".", 1)[0] if new.owned_by else None
    back = [_owner(cx, old)] if old is not None else [_owner(cx, _unowned(new))]
    draft(
        cx,
        "sequence_owners",
        "alter_sequence_owner",
        ref("sequence", new.schema, new.name),
        [_owner(cx, new)],
        back,
        f"Tie sequence {cx.label(*new.key)} to {new.owned_by or 'no column'} as the desired "
        "schema does (it is dropped with its owner).",
        requires=frozenset({("table", new.schema, table)} if table else ()),
    )


def _unowned(s: model.Sequence) -> model.Sequence:
    from dataclasses import replace

    return replace(s, owned_by=None)

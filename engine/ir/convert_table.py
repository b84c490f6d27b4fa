"""Converting one table: columns (types, identities, defaults, generated expressions),
keys, checks and indexes, each approximation recorded as a Loss.

A mixin of engine.ir.convert._Converter (it uses the converter's type mapper, fragment
writer, name maps and `lose`); split out so each module stays one concept. What a target
can hold (`holds` in its convert.json) decides what is kept: a partial index where the
target has none loses its predicate (or, when unique, the whole index -- a wider UNIQUE
would refuse rows the source accepts), a prefix length where keys are whole values is
dropped, an index method the target lacks drops the index.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from engine.ir import model
from engine.ir.convert_sql import implicit_casts, in_list, numbers_to_booleans, type_class
from engine.ir.ddl_table import pad_decimal_default
from engine.ir.normalize import normalize_default


@dataclass(frozen=True, slots=True)
class Loss:
    """One lossy or approximate mapping. `path` names the object in the converted snapshot
    the way tests/flo/catalog_helpers.snapshot_diff does (`tables[app.orders].columns[id]`,
    `views[v]`, `routines[app.add.a integer]`), so a difference between the converted
    snapshot and what the target learned can be matched to the loss that explains it."""

    path: str
    what: str
    why: str


def path_of(kind: str, schema: str, *names: str) -> str:
    """The snapshot_diff spelling of an object: `tables[app.orders]`, `tables[orders]`."""
    return f"{kind}[{'.'.join(p for p in (schema, *names) if p)}]"


def _auto_pattern(template: str | None, table: str, columns) -> re.Pattern | None:
    """A regex matching the names a family invents from `template` for this table."""
    if not template:
        return None
    cols = "|".join(re.escape(c) for c in columns) or r"\w+"
    text = re.escape(template)
    for key, value in (
        ("table", re.escape(table)),
        ("columns", re.escape("_".join(columns)) if columns else r"\w+"),
        ("first_column", f"(?:{cols})"),
        ("column", f"(?:{cols})"),
        ("counter", r"\d+"),
    ):
        text = text.replace(re.escape("{" + key + "}"), value)
    return re.compile(rf"^{text}(?:_?\d+)?$")


class TableConversion:
    """Table-level conversion methods (see the module docstring)."""

    # -- tables -----------------------------------------------------------------------
    def table(self, t: model.Table) -> model.Table:
        schema, name = self.rel(t.schema, t.name)
        path = path_of("tables", schema, name)
        pk_cols = t.primary_key.columns if t.primary_key else ()
        classes = {c.name.lower(): type_class(self.types.portable(c.type)[0]) for c in t.columns}
        self.casts = implicit_casts(self.dst.get("implicit_casts", []), classes)
        columns, checks = [], []
        for c in t.columns:
            col, extra = self.column(t, c, path, pk_cols)
            columns.append(col)
            checks += extra
        for ck in t.checks:
            checks += self.check(t, ck, path)
        uniques = [self.unique(t, u, path) for u in t.uniques]
        fks = [self.foreign_key(t, fk, path) for fk in t.foreign_keys]
        self.table_index_names: set[str] = set()
        indexes = [self.index(t, schema, name, path, i) for i in t.indexes]
        indexes = [i for i in indexes if i is not None]
        if t.partitioning is not None and self._render("partitions") != self.src_ir.get(
            "render", {}
        ).get("partitions"):
            self.lose(
                path,
                f"partitioning by {t.partitioning.strategy} dropped",
                "partition bounds are written differently in the target: the table "
                "is created unpartitioned",
            )
        for key, value in t.options:
            self.lose(path, f"table option {key}={value} dropped", "a source-only table option")
        keyed = set(pk_cols) | {c for u in t.uniques for c in u.columns}
        keyed |= {c for fk in t.foreign_keys for c in fk.columns}
        keyed |= {p.column for i in indexes for p in i.parts if p.column and p.length is None}
        columns = [self.key_column(c, path) if c.name in keyed else c for c in columns]
        pk = None
        if t.primary_key is not None:
            fixed = "{" not in str(self.dst_ir.get("auto_names", {}).get("primary_key"))
            auto = self.auto("primary_key", t.primary_key.name, t.name, pk_cols)
            pk = model.PrimaryKey(None if auto or fixed else t.primary_key.name, pk_cols)
        return model.Table(
            schema=schema,
            name=self.ident(name, path),
            columns=tuple(columns),
            primary_key=pk,
            uniques=tuple(uniques),
            foreign_keys=tuple(fks),
            checks=tuple(checks),
            indexes=tuple(indexes),
            comment=self.comment(path, t.comment),
        )

    def _render(self, key: str):
        return self.dst_ir.get("render", {}).get(key)

    def key_column(self, c: model.Column, path: str) -> model.Column:
        swap = self.types.key_type(c.type)
        if swap is None:
            return c
        new_type, why = swap
        self.lose(f"{path}.columns[{c.name}]", f"{c.type} -> {new_type} (a key column)", why)
        return dataclasses.replace(c, type=new_type)

    # -- columns ----------------------------------------------------------------------
    def column(self, t: model.Table, c: model.Column, path: str, pk_cols):
        cpath = f"{path}.columns[{c.name}]"
        mapped = self.types.map(c.type)
        for why in mapped.losses:
            self.lose(cpath, f"{self.s.dialect} {c.type} -> {mapped.type}", why)
        identity, default = c.identity, c.default
        sequence = self.sequence_of(c.default)
        if sequence is not None and sequence.owned_by == f"{t.name}.{c.name}":
            identity, default = "serial", None
            self.absorbed.add((sequence.schema, sequence.name))
        elif sequence is not None and not self.holds.get("sequences"):
            self.lose(cpath, f"default {c.default} dropped", "the target has no sequences")
            default = None
        if identity:
            identity = self.identity(identity, c, cpath, pk_cols)
        if default is not None and "[]" in mapped.portable and not mapped.type.endswith("[]"):
            self.lose(cpath, f"default {default} dropped", "an array literal has no equivalent")
            default = None
        edit = numbers_to_booleans if mapped.portable == "bool" else None
        default, _ = self.fragment(cpath, "default", default, "default", edit)
        if default is not None and self.dst.get("decimal_defaults_padded"):
            default = pad_decimal_default(default, mapped.type)
        if self.dst.get("now_takes_precision"):
            default = _now_precision(default, mapped.type, self.target)
        generated, _ = self.fragment(cpath, "generation expression", c.generated, edit=self.casts)
        stored = c.generated_stored
        if generated is not None and not stored and not self.holds.get("virtual_generated"):
            self.lose(
                cpath,
                "virtual generated column -> stored",
                "the target computes generated columns on write only",
            )
            stored = True
        on_update = None
        if c.on_update is not None:
            if self.holds.get("on_update"):
                on_update, _ = self.fragment(cpath, "ON UPDATE", c.on_update)
                if self.dst.get("now_takes_precision"):
                    on_update = _now_precision(on_update, mapped.type, self.target)
            else:
                self.lose(
                    cpath,
                    f"ON UPDATE {c.on_update} dropped",
                    f"ON UPDATE has no {self.target} equivalent",
                )
        collation, why = self.types.collation(c.collation)
        if why:
            self.lose(cpath, f"collation {c.collation} dropped", why)
        checks = []
        if mapped.enum_labels:
            expression = in_list(c.name, mapped.enum_labels, self.target)
            checks.append(model.Check(name="", expression=expression))
        column = model.Column(
            name=self.ident(c.name, cpath),
            type=mapped.type,
            nullable=c.nullable,
            default=default,
            identity=identity,
            generated=generated,
            generated_stored=stored if generated is not None else False,
            collation=collation,
            comment=self.comment(cpath, c.comment),
            on_update=on_update,
        )
        return column, checks

    def sequence_of(self, default: str | None) -> model.Sequence | None:
        """The sequence a `nextval('seq')` default draws from (the source's
        `serial_default` template says how the family spells it)."""
        template = self.src_ir.get("serial_default")
        if not default or not template:
            return None
        pattern = re.escape(template).replace(re.escape("{sequence}"), "(.+?)")
        match = re.fullmatch(pattern, default, re.IGNORECASE)
        if not match:
            return None
        qualified = match[1]
        for seq in self.s.sequences:
            names = {f"{seq.schema}.{seq.name}"}
            if seq.schema == self.src_ir.default_schema:
                names.add(seq.name)
            if qualified in names:
                return seq
        return None

    def identity(self, kind: str, c: model.Column, path: str, pk_cols) -> str | None:
        entry = self.dst.get("identity", {}).get(kind)
        if entry is None:
            self.lose(path, f"identity ({kind}) dropped", "the target has no such identity")
            return None
        if isinstance(entry, dict):
            self.lose(path, f"identity {kind} -> {entry['to']}", entry.get("loss", ""))
            entry = entry["to"]
        if self.dst.get("identity_requires_integer_primary_key") and tuple(pk_cols) != (c.name,):
            self.lose(
                path,
                f"identity ({kind}) dropped",
                "the target numbers rows automatically only for a one-column INTEGER PRIMARY KEY",
            )
            return None
        return entry

    # -- constraints ------------------------------------------------------------------
    def check(self, t: model.Table, ck: model.Check, path: str) -> list[model.Check]:
        cpath = f"{path}.checks[{ck.name}]"
        expression, ok = self.fragment(cpath, "check", ck.expression, edit=self.casts)
        if not ok:
            return []
        validated = ck.validated
        if not validated and not self.holds.get("not_valid_checks"):
            self.lose(cpath, "NOT VALID check -> validated", "the target checks existing rows")
            validated = True
        cols = [c.name for c in t.columns]
        auto = self.auto("check", ck.name, t.name) or self.auto(
            "check_column", ck.name, t.name, cols
        )
        name = "" if auto else self.ident(ck.name, cpath)
        return [model.Check(name=name, expression=expression, validated=validated)]

    def unique(self, t: model.Table, u: model.UniqueConstraint, path: str):
        upath = f"{path}.uniques[{u.name}]"
        deferrable, deferred = u.deferrable, u.initially_deferred
        if deferrable and not self.holds.get("deferrable_constraints"):
            self.lose(upath, "DEFERRABLE dropped", self.deferrable_why())
            deferrable = deferred = False
        name = "" if self.auto("unique", u.name, t.name, u.columns) else u.name
        return model.UniqueConstraint(name, u.columns, deferrable, deferred)

    def foreign_key(self, t: model.Table, fk: model.ForeignKey, path: str) -> model.ForeignKey:
        fpath = f"{path}.foreign_keys[{fk.name}]"
        ref_schema, ref_table = self.rel(fk.ref_schema, fk.ref_table)
        match = fk.match
        if match not in self.holds.get("fk_match", ["SIMPLE"]):
            self.lose(fpath, f"MATCH {match} -> SIMPLE", "the target has only MATCH SIMPLE")
            match = "SIMPLE"
        actions = {}
        for key in ("on_delete", "on_update"):
            action = getattr(fk, key)
            if action not in self.holds.get("fk_actions", [action]):
                self.lose(
                    fpath,
                    f"{key.upper().replace('_', ' ')} {action} -> NO ACTION",
                    "the target has no such referential action",
                )
                action = "NO ACTION"
            actions[key] = action
        deferrable, deferred = fk.deferrable, fk.initially_deferred
        if deferrable and not self.holds.get("deferrable_constraints"):
            self.lose(fpath, "DEFERRABLE dropped", self.deferrable_why())
            deferrable = deferred = False
        name = "" if self.auto("foreign_key", fk.name, t.name, fk.columns) else fk.name
        return model.ForeignKey(
            name=name,
            columns=fk.columns,
            ref_schema=ref_schema,
            ref_table=ref_table,
            ref_columns=fk.ref_columns,
            match=match,
            deferrable=deferrable,
            initially_deferred=deferred,
            **actions,
        )

    def deferrable_why(self) -> str:
        return self.dst.get("deferrable_why", "the target checks constraints immediately")

    # -- indexes ----------------------------------------------------------------------
    def index(self, owner, schema: str, table: str, path: str, i: model.Index):
        ipath = f"{path}.indexes[{i.name}]"
        if i.method not in self.holds.get("index_methods", ["btree"]):
            self.lose(
                ipath,
                f"{i.method} index {i.name} not converted",
                f"the target has no {i.method} indexes",
            )
            return None
        parts = []
        for p in i.parts:
            part = self.index_part(p, ipath, i.name)
            if part is None:
                return None
            parts.append(part)
        predicate = i.predicate
        if predicate is not None and not self.holds.get("partial_indexes"):
            if i.unique:
                self.lose(
                    ipath,
                    f"partial unique index {i.name} not converted",
                    "the target has no partial indexes and a full one would refuse more rows",
                )
                return None
            self.lose(
                ipath,
                f"index predicate dropped: {predicate}",
                "the target has no partial indexes: the index covers every row",
            )
            predicate = None
        predicate, ok = self.fragment(ipath, "index predicate", predicate, edit=self.casts)
        if not ok:
            return None
        include = i.include
        if include and not self.holds.get("index_include"):
            self.lose(
                ipath,
                f"INCLUDE ({', '.join(include)}) dropped",
                "the target has no covering (INCLUDE) columns",
            )
            include = ()
        columns = [p.column for p in i.parts if p.column]
        name = self.index_name(owner, schema, table, i.name, columns, ipath)
        return model.Index(
            name=name,
            parts=tuple(parts),
            unique=i.unique,
            predicate=predicate,
            method=i.method,
            include=include,
            comment=self.comment(ipath, i.comment),
        )

    def index_part(self, p: model.IndexPart, ipath: str, index: str):
        expression = p.expression
        if expression is not None:
            if not self.holds.get("expression_indexes"):
                self.lose(
                    ipath,
                    f"expression index {index} not converted",
                    "the target has no indexes on expressions",
                )
                return None
            expression, ok = self.fragment(ipath, "index expression", expression, edit=self.casts)
            if not ok:
                return None
        length, nulls, opclass = p.length, p.nulls, p.opclass
        if length is not None and not self.dst_ir.get("index_prefix_lengths"):
            self.lose(
                ipath, f"index prefix length ({length}) dropped", "the target indexes whole values"
            )
            length = None
        if nulls is not None and not self.holds.get("index_nulls_order"):
            self.lose(
                ipath,
                f"NULLS {nulls.upper()} dropped",
                "the target has no NULLS FIRST/LAST in indexes",
            )
            nulls = None
        if opclass is not None and not self.holds.get("index_opclass"):
            self.lose(ipath, f"operator class {opclass} dropped", "the target has none")
            opclass = None
        return model.IndexPart(
            column=p.column,
            expression=expression,
            descending=p.descending,
            nulls=nulls,
            length=length,
            opclass=opclass,
        )

    def index_name(self, owner, schema, table, name, columns, ipath) -> str:
        """The source name, unless it is taken where the target wants index names unique
        (the schema or the table): then the target's own pattern, deduplicated."""
        names = self.dst_ir.get("auto_names", {})
        per_schema = self.dst.get("index_names_unique_in") == "schema"
        taken = self.index_names if per_schema else self.table_index_names
        key = (schema, name) if per_schema else ("", name)
        if name and key not in taken:
            taken.add(key)
            return self.ident(name, ipath)
        base = names.get("index", "{table}_{columns}_idx").format(
            table=table,
            columns="_".join(columns) or "expr",
            first_column=(columns or ["expr"])[0],
            column=(columns or ["expr"])[0],
            counter=1,
        )
        limit = self.dst_ir.get("max_identifier_length", 0)
        base = base[:limit] if limit else base
        candidate, n = base, names.get("dedupe_start", 1)
        while (key[0], candidate) in taken:
            candidate = names.get("dedupe", "{name}{n}").format(name=base, n=n)
            n += 1
        taken.add((key[0], candidate))
        if name:
            where = ipath.rsplit(".indexes[", 1)[0] + f".indexes[{candidate}]"
            self.lose(
                where,
                f"index {name} renamed {candidate}",
                "the name is taken in the target's index namespace",
            )
        return candidate


def _now_precision(default: str | None, type_text: str, dialect: str) -> str | None:
    """CURRENT_TIMESTAMP on a column with fractional seconds, written with the column's
    precision (`CURRENT_TIMESTAMP(6)` for timestamp(6)), as a family that echoes it so."""
    match = re.fullmatch(r"[a-z]+\((\d+)\)", type_text)
    if default is None or not match or match[1] == "0":
        return default
    if default.upper().replace(" ", "") not in ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP()"):
        return default
    return normalize_default(dialect, f"CURRENT_TIMESTAMP({match[1]})")

"""Cross-dialect conversion: a snapshot of one family rewritten for another.

    conv = convert(mysql_snapshot, "postgres")
    conv.snapshot            # what PostgreSQL would hold after render_ddl(conv.snapshot) runs
    conv.losses              # every lossy or approximate mapping, each with its reason

Why: the planner diffs a desired state against a live target. A MySQL/MariaDB schema planned
onto PostgreSQL (or back, or to/from SQLite) must first say what that schema IS in the
target's terms: types mapped through the packs' portable vocabulary (convert_types), SQL
fragments transpiled and normalised (convert_sql), names moved between namespaces, and
objects the target cannot hold dropped -- each approximation recorded as a Loss, never
silently.

The converted snapshot is produced the way the target server would produce it: the draft is
rendered to DDL and parsed back with the target's parse_ddl, which applies the target's
implied facts (auto names of unnamed constraints, the index MySQL makes for a foreign key,
NOT NULL of key columns). So `learn(run(render_ddl(conv.snapshot)))` hashes like
`conv.snapshot` (tests/ir/test_convert_servers.py checks it on real servers).

Everything that differs between families is data in transports/flo/<family>/convert.json
and ir.json; this module never names a family. docs/convert.md has the mapping table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from engine.ir import model
from engine.ir.canonical import build_snapshot
from engine.ir.convert_sql import FragmentError, Fragments
from engine.ir.convert_table import Loss, TableConversion, _auto_pattern, path_of
from engine.ir.convert_types import TypeMapper, convert_data
from engine.ir.dialects import dialect_data

__all__ = ["Conversion", "Loss", "convert"]


@dataclass(frozen=True, slots=True)
class Conversion:
    snapshot: model.Snapshot
    losses: tuple[Loss, ...] = ()


def convert(snapshot: model.Snapshot, to_dialect: str) -> Conversion:
    """`snapshot` rewritten for `to_dialect`; the same dialect gives it back unchanged.
    An unknown dialect, or a family without convert.json, is a ConfigError."""
    dialect_data(to_dialect)  # ConfigError for an unknown dialect
    if snapshot.dialect == to_dialect:
        return Conversion(snapshot, ())
    return _Converter(snapshot, to_dialect).run()


class _Converter(TableConversion):
    def __init__(self, snapshot: model.Snapshot, target: str) -> None:
        self.s = snapshot
        self.target = target
        self.src_ir = dialect_data(snapshot.dialect)
        self.dst_ir = dialect_data(target)
        self.dst = convert_data(target)
        self.holds = self.dst.get("holds", {})
        self.types = TypeMapper(snapshot, target)
        self.losses: list[Loss] = []
        self.relations: dict[tuple[str, str], tuple[str, str]] = {}
        self.sql = Fragments(snapshot.dialect, target, self._rename_ref)
        if self.dst.get("casts_echo_default_params"):
            self.sql.cast_params = dict(self.dst_ir.type_default_params)
        self.absorbed: set[tuple[str, str]] = set()  # sequences turned into identities
        self.index_names: set[tuple[str, str]] = set()
        self.table_index_names: set[tuple[str, str]] = set()
        self.casts = None  # the current table's implicit-cast edit (convert_table)

    # -- bookkeeping ------------------------------------------------------------------
    def lose(self, path: str, what: str, why: str) -> None:
        self.losses.append(Loss(path, what, why))

    def schema(self, name: str) -> str:
        if name == self.src_ir.default_schema or not self.holds.get("namespaces"):
            return self.dst_ir.default_schema
        return name

    def ident(self, name: str, path: str) -> str:
        limit = self.dst_ir.get("max_identifier_length", 0)
        if limit and len(name) > limit:
            self.lose(path, f"name {name} truncated", f"longer than {limit} characters")
            return name[:limit]
        return name

    def _map_relations(self) -> None:
        taken: set[tuple[str, str]] = set()
        objects = [*self.s.tables, *self.s.views, *self.s.sequences]
        # objects already in the target's default schema keep their names first
        objects.sort(key=lambda o: (o.schema != self.src_ir.default_schema, o.schema, o.name))
        for obj in objects:
            schema = self.schema(obj.schema)
            name = obj.name
            if (schema, name) in taken:
                name = f"{obj.schema}_{obj.name}"
                self.lose(
                    path_of("tables", schema, name),
                    f"{obj.schema}.{obj.name} renamed {name}",
                    "its name is taken once schemas are merged",
                )
            taken.add((schema, name))
            self.relations[(obj.schema, obj.name)] = (schema, name)
        self.index_names = set(taken)

    def rel(self, schema: str, name: str) -> tuple[str, str]:
        return self.relations.get((schema, name), (self.schema(schema), name))

    def _rename_ref(self, schema: str | None, name: str) -> tuple[str | None, str]:
        src_schema = schema if schema is not None else self.src_ir.default_schema
        new_schema, new_name = self.rel(src_schema, name)
        if not self.holds.get("namespaces") or new_schema == self.dst_ir.default_schema:
            return None, new_name
        return new_schema, new_name

    def fragment(self, path: str, what: str, sql: str | None, kind: str = "expr", edit=None):
        """The fragment in the target dialect; (None, False) when it cannot be carried."""
        if sql is None:
            return None, True
        try:
            return getattr(self.sql, kind)(sql, edit), True
        except FragmentError as exc:
            self.lose(path, f"{what} not converted: {sql}", str(exc))
            return None, False

    def auto(self, kind: str, name: str | None, table: str, columns=()) -> bool:
        """Whether `name` is one the source family invented (so the target invents its own)."""
        if not name:
            return True
        pattern = _auto_pattern(self.src_ir.get("auto_names", {}).get(kind), table, columns)
        return bool(pattern and pattern.match(name))

    # -- the whole snapshot -----------------------------------------------------------
    def run(self):
        from engine.ir import parse_ddl, render_ddl

        self._map_relations()
        tables = [self.table(t) for t in self.s.tables]
        views = [v for v in (self.view(v) for v in self.s.views) if v is not None]
        draft = build_snapshot(
            self.target,
            namespaces=self.namespaces(),
            tables=tables,
            views=views,
            sequences=self.sequences(),
            types=self.user_types(),
            extensions=self.extensions(),
            source={**self.s.source, "converted_from": self.s.dialect},
            stats=self.s.stats,
        )
        self.code_objects()
        try:
            parsed = parse_ddl(";\n".join(render_ddl(draft)), self.target)
            snapshot = dataclasses.replace(parsed, source=draft.source, stats=draft.stats)
        except Exception as exc:  # the draft is still the best answer: say so
            self.lose("", "converted snapshot not re-read in the target dialect", str(exc))
            snapshot = draft
        return Conversion(snapshot, tuple(self.losses))

    def namespaces(self) -> list[model.Namespace]:
        out = []
        for ns in self.s.namespaces:
            if self.holds.get("namespaces"):
                out.append(ns)
            elif ns.name != self.src_ir.default_schema:
                self.lose(
                    path_of("namespaces", "", ns.name),
                    f"schema {ns.name} merged",
                    "the target has no schemas: its objects move into the database",
                )
        return out

    def sequences(self) -> list[model.Sequence]:
        out = []
        for seq in self.s.sequences:
            schema, name = self.rel(seq.schema, seq.name)
            if (seq.schema, seq.name) in self.absorbed:
                continue
            if not self.holds.get("sequences"):
                self.lose(
                    path_of("sequences", schema, name),
                    f"sequence {seq.name} dropped",
                    "the target has no sequences",
                )
                continue
            out.append(dataclasses.replace(seq, schema=schema, name=name))
        return out

    def user_types(self) -> list[model.UserType]:
        out = []
        for t in self.s.types:
            if self.holds.get("types"):
                out.append(dataclasses.replace(t, schema=self.schema(t.schema)))
                continue
            how = {
                "enum": "its columns become enums or text with a CHECK",
                "domain": "its columns take the base type; its constraints are not kept",
            }
            self.lose(
                path_of("types", self.schema(t.schema), t.name),
                f"{t.kind} type {t.name} dropped",
                how.get(
                    t.kind, "the target has no user types: its columns become documents or text"
                ),
            )
        return out

    def extensions(self) -> list[model.Extension]:
        if self.holds.get("extensions"):
            return list(self.s.extensions)
        for ext in self.s.extensions:
            self.lose(
                path_of("extensions", "", ext.name),
                f"extension {ext.name} dropped",
                "the target has no extensions",
            )
        return []

    def code_objects(self) -> None:
        """Triggers and routines are code in the source's language: never carried over."""
        for r in self.s.routines:
            self.lose(
                path_of("routines", self.schema(r.schema), r.name, r.arguments),
                f"{r.kind} {r.name} dropped",
                "its body is written in the source's language",
            )
        for tr in self.s.triggers:
            schema, table = self.rel(tr.schema, tr.table)
            self.lose(
                path_of("triggers", schema, table, tr.name),
                f"trigger {tr.name} dropped",
                "its body is written in the source's language",
            )

    # -- views ------------------------------------------------------------------------
    def view(self, v: model.View) -> model.View | None:
        schema, name = self.rel(v.schema, v.name)
        path = path_of("views", schema, name)
        definition, ok = self.fragment(path, "view", v.definition, "view")
        if not ok:
            self.lose(path, f"view {v.name} dropped", "its definition could not be converted")
            return None
        materialized, indexes = v.materialized, v.indexes
        if materialized and not self.holds.get("materialized_views"):
            self.lose(
                path,
                "materialized view -> view",
                "the target has no materialized views: the query runs on every read",
            )
            for i in indexes:
                self.lose(path, f"index {i.name} dropped", "a plain view has no indexes")
            materialized, indexes = False, ()
        comment = self.comment(path, v.comment)
        self.table_index_names = set()
        return model.View(
            schema=schema,
            name=self.ident(name, path),
            definition=definition,
            materialized=materialized,
            columns=v.columns,
            indexes=tuple(
                i for i in (self.index(v, schema, name, path, i) for i in indexes) if i is not None
            ),
            comment=comment,
        )

    def comment(self, path: str, text: str | None) -> str | None:
        if text is not None and not self.holds.get("comments"):
            self.lose(path, f"comment dropped: {text}", "the target stores no comments")
            return None
        return text

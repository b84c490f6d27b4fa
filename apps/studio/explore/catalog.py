"""The questions the explorer pages ask of one snapshot, answered from lookups built once.

A Catalog wraps an `engine.ir.Snapshot` (immutable), so everything derived from it (the
objects of each kind, foreign keys seen from the referenced side, the search corpus) is
computed on first use and kept as long as the snapshot is (see snapshots.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from engine import ir

#: tree node kinds under a database, in the order the tree shows them
KINDS = ("tables", "views", "indexes", "routines")
KIND_LABELS = {"tables": "Tables", "views": "Views", "indexes": "Indexes", "routines": "Routines"}


@dataclass(frozen=True, slots=True)
class Item:
    """One object as a list or search result shows it. `table` is the owning table of an
    index or a column; `arguments` tells overloaded routines apart."""

    kind: str  # table, view, index, routine, column
    schema: str
    name: str
    detail: str = ""
    table: str = ""
    arguments: str = ""
    owner_kind: str = "table"  # what `table` names: a table, or a materialised view

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def owner_label(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table


@dataclass(frozen=True, slots=True)
class Reference:
    """A foreign key seen from the table it points at: `table` holds `fk`."""

    table: ir.Table
    fk: ir.ForeignKey


def _table_item(t: ir.Table) -> Item:
    return Item("table", t.schema, t.name, f"{len(t.columns)} columns")


def _index_items(t: ir.Table | ir.View) -> list[Item]:
    owner = "view" if isinstance(t, ir.View) else "table"
    out = []
    for ix in t.indexes:
        parts = ", ".join(p.column or p.expression or "" for p in ix.parts)
        detail = f"{'unique ' if ix.unique else ''}{ix.method} ({parts})"
        out.append(Item("index", t.schema, ix.name, detail, table=t.name, owner_kind=owner))
    return out


class Catalog:
    def __init__(self, snapshot: ir.Snapshot) -> None:
        self.snapshot = snapshot

    # -- lookups ------------------------------------------------------------------------
    @cached_property
    def tables(self) -> dict[tuple[str, str], ir.Table]:
        return {t.key: t for t in self.snapshot.tables}

    def table(self, schema: str, name: str) -> ir.Table | None:
        return self.tables.get((schema, name))

    def view(self, schema: str, name: str) -> ir.View | None:
        return next((v for v in self.snapshot.views if v.key == (schema, name)), None)

    def routine(self, schema: str, name: str, arguments: str) -> ir.Routine | None:
        key = (schema, name, arguments)
        return next((r for r in self.snapshot.routines if r.key == key), None)

    @cached_property
    def incoming(self) -> dict[tuple[str, str], list[Reference]]:
        """Foreign keys by the table they reference: the "referenced by" side."""
        found: dict[tuple[str, str], list[Reference]] = {}
        for t in self.snapshot.tables:
            for fk in t.foreign_keys:
                found.setdefault((fk.ref_schema, fk.ref_table), []).append(Reference(t, fk))
        return found

    def referenced_by(self, table: ir.Table) -> list[Reference]:
        return self.incoming.get(table.key, [])

    def neighbours(self, table: ir.Table) -> list[ir.Table]:
        """Tables one foreign key away, either direction (the table itself excluded)."""
        keys = {(fk.ref_schema, fk.ref_table) for fk in table.foreign_keys}
        keys |= {ref.table.key for ref in self.referenced_by(table)}
        keys.discard(table.key)
        return [self.tables[k] for k in sorted(keys) if k in self.tables]

    # -- lists --------------------------------------------------------------------------
    @cached_property
    def _items(self) -> dict[str, list[Item]]:
        s = self.snapshot
        indexes = [i for t in s.tables for i in _index_items(t)]
        indexes += [i for v in s.views for i in _index_items(v)]
        return {
            "tables": [_table_item(t) for t in s.tables],
            "views": [
                Item("view", v.schema, v.name, "materialized view" if v.materialized else "view")
                for v in s.views
            ],
            "indexes": indexes,
            "routines": [
                Item("routine", r.schema, r.name, r.kind, arguments=r.arguments) for r in s.routines
            ],
        }

    def items(self, kind: str) -> list[Item]:
        return self._items.get(kind, [])

    def counts(self) -> dict[str, int]:
        return {kind: len(self._items[kind]) for kind in KINDS}

    # -- search -------------------------------------------------------------------------
    @cached_property
    def _corpus(self) -> list[tuple[str, Item]]:
        """(lower-cased name, item) for every object a person may look for, columns too."""
        corpus = [(i.name.lower(), i) for kind in KINDS for i in self._items[kind]]
        for t in self.snapshot.tables:
            for c in t.columns:
                corpus.append((c.name.lower(), Item("column", t.schema, c.name, c.type, t.name)))
        return corpus

    def search(self, query: str) -> list[Item]:
        """Objects whose name contains `query` (case-insensitive); exact names first."""
        needle = query.strip().lower()
        if not needle:
            return []
        hits = [(name != needle, i) for name, i in self._corpus if needle in name]
        return [i for _, i in sorted(hits, key=lambda h: h[0])]

    # -- DDL ----------------------------------------------------------------------------
    def table_ddl(self, table: ir.Table) -> list[str]:
        """The statements that create this one table: its CREATE TABLE, indexes, foreign
        keys, and the triggers on it."""
        triggers = [tr for tr in self.snapshot.triggers if (tr.schema, tr.table) == table.key]
        one = ir.build_snapshot(self.snapshot.dialect, tables=[table], triggers=triggers)
        return ir.render_ddl(one)

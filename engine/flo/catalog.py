"""The generic catalog reader: run a family's catalog queries, turn result rows into records.

Why data: what a family's catalog looks like (which system views, how a server spells a
default, which schemas are its own) is knowledge about that family, and the engine keeps
such knowledge in `transports/flo/<family>/catalog.json` plus one `.sql` file per query.
This module knows only the shape of that file:

    {"read": {"begin": "...", "end": "..."},            # read-only, consistent view
     "database": {"current": "SELECT ...", "switch": true},
     "literals": {"quote": "'", "escapes": {"'": "''"}},
     "placeholders": {"exclude_schemas": ["pg_catalog", ...], "database": "$database"},
     "queries": [{"file": "columns.sql", "record": "column",
                  "key": ["schema", "table", "name"],
                  "fields": {"name": "column_name", "default": {"column": "column_default",
                                                                 "as": "default"}},
                  "collect": {...}}],
     "rules": [{"record": "column", "when": {"default": "^NULL$"}, "set": {"default": null}},
               {"record": "*", "when": {"table": "^sqlx_journal$"}, "drop": true}]}

Each query is ONE set-based statement over the whole database (never one per table): rows
are grouped by the record `key`; scalar `fields` come from the first row of a group and
`collect` entries gather child rows (index parts, key columns, enum labels) in row order.
A query may pick the record kind per row (`"record": {"column": "kind", "map": {...}}`).
Placeholders `{{name}}` in the SQL are filled with quoted literals from the data (a list
becomes a comma-separated literal list; "$database" is the database being learned).

SQL fragments and types are normalised by `engine.ir.normalize` for the snapshot's dialect
(field `"as"`: "expression", "default", "predicate", "view", "type", ...), so a learned
snapshot and a desired-state one compare equal. Turning records into IR objects is
`engine.flo.database`'s job; this module stops at plain dictionaries.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from engine.errors import ConfigError

CATALOG_FILE = "catalog.json"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
TRUE_WORDS = frozenset({"t", "true", "yes", "y", "on", "1"})


# ------------------------------------------------------------------ value conversions


def _as_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return str(value).strip().lower() in TRUE_WORDS


def _as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return int(float(str(value)))


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


@functools.cache
def _normalizer(kind: str):
    """The `engine.ir.normalize` function for a normalisation kind, as f(dialect, text)
    (imported late: FLO must not import-cycle with the IR package)."""
    from engine.ir import normalize

    name = NORMALIZERS[kind]
    if name == "tidy_code":
        return lambda dialect, text: normalize.tidy_code(text)
    return getattr(normalize, name)


#: field "as" value -> function in engine.ir.normalize called (dialect, text); "tidy_code"
#: for whole statements the IR keeps as text (routines, triggers): their line breaks stay,
#: since a `--` comment in a body ends at one
NORMALIZERS = {
    "type": "normalize_type",
    "expression": "normalize_expr",
    "default": "normalize_default",
    "predicate": "normalize_expr",
    "generated": "normalize_expr",
    "view": "normalize_view",
    "definition": "tidy_code",
}

CONVERTERS = {"bool": _as_bool, "int": _as_int, "text": _as_text, "raw": lambda v: v}


# ------------------------------------------------------------------ the data's shape


@dataclass(frozen=True)
class FieldSpec:
    """How one IR field is read from a row: column, conversion, value map, list split,
    regex substitutions, a constant."""

    column: str | None = None
    conv: str = "text"
    map: dict | None = None
    split: str | None = None
    replace: tuple[tuple[str, str], ...] = ()
    const: Any = None
    strip: bool = True
    #: conversion of each item of a list field
    item: str = "text"

    @classmethod
    def parse(cls, spec: Any, where: str) -> FieldSpec:
        if isinstance(spec, str):
            return cls(column=spec)
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: a field is a column name or an object")
        conv = spec.get("as", "text")
        item = spec.get("item", "text")
        for name in (conv, item):
            if name not in CONVERTERS and name not in NORMALIZERS and name != "list":
                raise ConfigError(f"{where}: unknown conversion {name!r}")
        return cls(
            column=spec.get("column"),
            conv=conv,
            map=spec.get("map"),
            split=spec.get("split"),
            replace=tuple(tuple(pair) for pair in spec.get("replace", ())),
            const=spec.get("const"),
            strip=spec.get("strip", True),
            item=item,
        )

    def read(self, row: dict[str, Any], dialect: str, context: dict[str, str]) -> Any:
        if self.column is None:
            return self.const
        value = row.get(self.column)
        if self.conv == "list" or self.split is not None:
            return self._read_list(value, dialect, context)
        return self._convert(value, dialect, context)

    def _read_list(self, value: Any, dialect: str, context: dict[str, str]) -> tuple:
        if value is None:
            return ()
        items = value if isinstance(value, list | tuple) else str(value).split(self.split or ",")
        as_item = FieldSpec(map=self.map, replace=self.replace, strip=self.strip, conv=self.item)
        out = (as_item._convert(item, dialect, context) for item in items)
        return tuple(item for item in out if item not in (None, ""))

    def _convert(self, value: Any, dialect: str, context: dict[str, str]) -> Any:
        if self.map is not None and value is not None:
            value = self.map.get(_as_text(value), value)
        if value is None:
            return None
        if self.conv in CONVERTERS and self.conv != "text":
            return CONVERTERS[self.conv](value)
        text = _as_text(value)
        for pattern, repl in self.replace:
            text = _compiled(_fill(pattern, context, regex=True)).sub(_fill(repl, context), text)
        if self.strip:
            text = text.strip()
        if self.conv in NORMALIZERS:
            return _normalizer(self.conv)(dialect, text)
        return text


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _fill(text: str, context: dict[str, str], regex: bool = False) -> str:
    """Substitute `$database` and friends inside regex/replacement text from the data."""
    for name, value in context.items():
        text = text.replace(f"${name}", re.escape(value) if regex else value)
    return text


@dataclass(frozen=True)
class CollectSpec:
    """Child rows gathered into a list: one value (`field`) or a small dict (`fields`) per
    row, only for rows matching `when` (field -> expected value)."""

    fields: dict[str, FieldSpec] | None = None
    value: FieldSpec | None = None
    when: dict[str, Any] = field(default_factory=dict)

    def wants(self, row: dict[str, Any]) -> bool:
        """Does this row belong to the collection (booleans compare by truth)?"""
        for column, want in self.when.items():
            got = row.get(column)
            if got != want and (not isinstance(want, bool) or _as_bool(got) != want):
                return False
        return True

    @classmethod
    def parse(cls, spec: Any, where: str) -> CollectSpec:
        if isinstance(spec, str):
            return cls(value=FieldSpec(column=spec))
        when = dict(spec.get("when", {}))
        if "fields" in spec:
            parsed = {k: FieldSpec.parse(v, f"{where}/{k}") for k, v in spec["fields"].items()}
            return cls(fields=parsed, when=when)
        return cls(value=FieldSpec.parse(spec.get("field", spec), where), when=when)


@dataclass(frozen=True)
class Rule:
    """A family quirk: for records of `record` ("*" = any) whose fields all match the
    `when` regexes (None matches a missing value), set constants or drop the record."""

    record: str
    when: dict[str, str | None]
    set: dict[str, Any]
    drop: bool

    def matches(self, kind: str, values: dict[str, Any], context: dict[str, str]) -> bool:
        if self.record not in ("*", kind):
            return False
        for name, pattern in self.when.items():
            if name not in values:
                return False
            value = values[name]
            if pattern is None:
                if value is not None:
                    return False
            elif value is None or not re.fullmatch(_fill(pattern, context, True), str(value)):
                return False
        return True


@dataclass(frozen=True)
class QuerySpec:
    name: str
    sql: str
    record: str | None
    record_from: FieldSpec | None
    key: tuple[str, ...]
    fields: dict[str, FieldSpec]
    collect: dict[str, CollectSpec]


@dataclass(frozen=True)
class Catalog:
    """One family's catalog data, parsed and checked once (cached per folder)."""

    folder: str
    begin: str | None
    end: str | None
    current_database: str | None
    switch_database: bool
    quote: str
    escapes: tuple[tuple[str, str], ...]
    placeholders: dict[str, Any]
    queries: tuple[QuerySpec, ...]
    rules: tuple[Rule, ...]
    stats_records: tuple[str, ...]
    raw: dict

    def literal(self, value: str) -> str:
        for old, new in self.escapes:
            value = value.replace(old, new)
        return f"{self.quote}{value}{self.quote}"

    def render(self, sql: str, context: dict[str, str]) -> str:
        """Fill `{{name}}` placeholders with quoted literals (lists comma-separated)."""

        def one(match: re.Match) -> str:
            name = match.group(1)
            if name not in self.placeholders:
                raise ConfigError(f"{self.folder}: placeholder {{{{{name}}}}} is not declared")
            value = self.placeholders[name]
            values = value if isinstance(value, list) else [value]
            return ", ".join(self.literal(_fill(str(v), context)) for v in values) or "NULL"

        return PLACEHOLDER.sub(one, sql)


def _read_text(folder: str, name: str) -> str:
    node = resources.files("transports").joinpath(folder, name)
    if not node.is_file():
        raise ConfigError(f"transports/{folder}/{name}: missing")
    return node.read_text(encoding="utf-8")


@functools.cache
def load_catalog(folder: str) -> Catalog:
    """Parse `transports/<folder>/catalog.json` and the .sql files it names; a malformed
    file is a ConfigError naming the file and the JSON path."""
    where = f"transports/{folder}/{CATALOG_FILE}"
    try:
        raw = json.loads(_read_text(folder, CATALOG_FILE))
    except ValueError as exc:
        raise ConfigError(f"{where}: not valid JSON ({exc})") from None
    queries = []
    for i, q in enumerate(raw.get("queries", [])):
        qwhere = f"{where}:/queries/{i}"
        try:
            record = q["record"]
            key = tuple(q["key"])
            sql = _read_text(folder, q["file"])
        except KeyError as exc:
            raise ConfigError(f"{qwhere}: missing {exc.args[0]!r}") from None
        queries.append(
            QuerySpec(
                name=q["file"],
                sql=sql,
                record=record if isinstance(record, str) else None,
                record_from=None if isinstance(record, str) else FieldSpec.parse(record, qwhere),
                key=key,
                fields={
                    k: FieldSpec.parse(v, f"{qwhere}/fields/{k}")
                    for k, v in q.get("fields", {}).items()
                },
                collect={
                    k: CollectSpec.parse(v, f"{qwhere}/collect/{k}")
                    for k, v in q.get("collect", {}).items()
                },
            )
        )
    rules = tuple(
        Rule(
            r.get("record", "*"),
            dict(r.get("when", {})),
            dict(r.get("set", {})),
            r.get("drop", False),
        )
        for r in raw.get("rules", [])
    )
    read = raw.get("read", {})
    database = raw.get("database", {})
    literals = raw.get("literals", {})
    return Catalog(
        folder=folder,
        begin=read.get("begin"),
        end=read.get("end"),
        current_database=database.get("current"),
        switch_database=bool(database.get("switch", False)),
        quote=literals.get("quote", "'"),
        escapes=tuple(literals.get("escapes", {"'": "''"}).items()),
        placeholders=dict(raw.get("placeholders", {})),
        queries=tuple(queries),
        rules=rules,
        stats_records=tuple(raw.get("stats_records", ("stats",))),
        raw=raw,
    )


# ------------------------------------------------------------------ running the queries

#: record kind -> {key tuple -> record dict}, groups in first-row order
Records = dict[str, dict[tuple, dict[str, Any]]]


def _map_rows(
    spec: QuerySpec,
    columns: list[str],
    rows: list[tuple],
    catalog: Catalog,
    dialect: str,
    context: dict[str, str],
    out: Records,
) -> None:
    for raw_row in rows:
        row = dict(zip(columns, raw_row, strict=False))
        kind = spec.record or spec.record_from.read(row, dialect, context)
        if kind is None:
            continue
        key_values = {k: spec.fields[k].read(row, dialect, context) for k in spec.key}
        key = tuple(key_values.values())
        group = out.setdefault(kind, {}).get(key)
        if group is None:
            values = {name: fs.read(row, dialect, context) for name, fs in spec.fields.items()}
            values.update({name: [] for name in spec.collect})
            group = values
            out[kind][key] = group
        for name, cs in spec.collect.items():
            if not cs.wants(row):
                continue
            if cs.fields is not None:
                group[name].append(
                    {k: fs.read(row, dialect, context) for k, fs in cs.fields.items()}
                )
            else:
                item = cs.value.read(row, dialect, context)
                if item is not None:
                    group[name].append(item)


def _apply_rules(records: Records, catalog: Catalog, context: dict[str, str]) -> Records:
    """Family quirks as data: set fields or drop records (the tool's own journal, objects
    every database has). Applied after grouping, so rules see whole records."""
    out: Records = {}
    for kind, groups in records.items():
        kept: dict[tuple, dict[str, Any]] = {}
        for key, values in groups.items():
            dropped = False
            for rule in catalog.rules:
                if rule.matches(kind, values, context):
                    if rule.drop:
                        dropped = True
                        break
                    values.update(rule.set)
            if not dropped:
                kept[key] = values
        out[kind] = kept
    return out


def current_database(session: Any, catalog: Catalog) -> str | None:
    if not catalog.current_database:
        return None
    return _as_text(session.query(catalog.current_database).scalar())


def read_catalog(session: Any, folder: str, dialect: str, database: str) -> Records:
    """Run every catalog query of `folder` for `database` on `session` and return the
    grouped, quirk-corrected records. Reads only: the queries run inside the family's
    read-only transaction when the data declares one (`read.begin` / `read.end`)."""
    catalog = load_catalog(folder)
    context = {"database": database}
    if catalog.switch_database and current_database(session, catalog) != database:
        session.use(database)
    out: Records = {}
    if catalog.begin:
        session.query(catalog.begin)
    try:
        for spec in catalog.queries:
            result = session.query(catalog.render(spec.sql, context))
            _map_rows(spec, list(result.column_names), result.rows, catalog, dialect, context, out)
    finally:
        if catalog.end:
            session.query(catalog.end)
    return _apply_rules(out, catalog, context)

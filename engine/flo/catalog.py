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
               {"record": "*", "when": {"table": "^sqlx_journal$"}, "drop": true}],
     "exclude_name_prefix": "_sqlx_"}     # the tool's own tables/triggers and all they own

Where an object keeps its settings only in itself (MariaDB sequences), a query may name a
listing (`"each": {"file": "sequence_names.sql", "join": "UNION ALL"}`): its rows fill the
query's `{{row:col}}` / `{{ident:col}}` template once per object, joined into ONE statement.

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

from engine.errors import ConfigError, ServerError

CATALOG_FILE = "catalog.json"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
ROW_PLACEHOLDER = re.compile(r"\{\{(row|ident):(\w+)\}\}")
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
    (imported late: FLO must not import-cycle with the IR package). The kinds that need
    no SQL parser come from `engine.ir.normalize_text`, so reading them imports no sqlglot."""
    name = NORMALIZERS[kind]
    if kind in TEXT_ONLY:
        from engine.ir import normalize_text as normalize
    else:
        from engine.ir import normalize  # type: ignore[no-redef]
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
#: the kinds whose function needs no SQL parser (`engine.ir.normalize_text`); the others
#: parse with sqlglot, and may be normalised in a helper process (`engine.flo.normaliser`)
TEXT_ONLY = frozenset({"type", "definition"})

#: record kind -> the fields naming the object a record belongs to, checked against the
#: data's "exclude_name_prefix" (the tool's own tables, triggers and trigger functions, the
#: columns, indexes, constraints and stats of its tables, sequences they own); "*" for
#: every other kind
PREFIX_FIELDS = {
    "table": ("name",),
    "trigger": ("name", "table"),
    "routine": ("name",),  # a trigger's function where triggers call one (PostgreSQL)
    "sequence": ("name", "owned_by"),
    "*": ("table",),
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

    def reader(
        self, index: dict[str, int], dialect: str, context: dict[str, str], norm: Any = None
    ):
        """`read` specialised once per query result: a function of the raw row tuple.
        Hot (every value of every catalog row): the common shapes -- a column as is, a
        stripped text, a normalised fragment -- skip the generic path's branches."""
        const = self.const
        if self.column is None:
            return lambda row: const
        pos = index.get(self.column)
        if pos is None:
            return lambda row: None
        if self.conv == "list" or self.split is not None:
            return lambda row: self._read_list(row[pos], dialect, context)
        if self.map is not None and not self.replace and self.conv == "text":
            return self._mapped_text_reader(pos, dialect, context)
        if self.map is not None or self.replace:
            return lambda row: self._convert(row[pos], dialect, context, norm)
        if self.conv == "raw":
            return lambda row: row[pos]
        if self.conv in CONVERTERS and self.conv != "text":
            conv = CONVERTERS[self.conv]
            return lambda row: None if row[pos] is None else conv(row[pos])
        strip, fn = self.strip, None
        if self.conv in NORMALIZERS:
            fn = norm or _normalizer(self.conv)

        def read(row: tuple) -> Any:
            value = row[pos]
            if value is None:
                return None
            text = value if type(value) is str else _as_text(value)
            if strip:
                text = text.strip()
            return text if fn is None else fn(dialect, text)

        return read

    def _mapped_text_reader(self, pos: int, dialect: str, context: dict[str, str]):
        """A mapped text field (a one-letter code -> a word): `_convert` gives the same
        answer for the same text, so each distinct text is converted once."""
        memo: dict[str, Any] = {}
        convert = self._convert

        def read(row: tuple) -> Any:
            value = row[pos]
            if value is None:
                return None
            key = value if value.__class__ is str else _as_text(value)
            try:
                return memo[key]
            except KeyError:
                out = memo[key] = convert(value, dialect, context)
                return out

        return read

    def _read_list(self, value: Any, dialect: str, context: dict[str, str]) -> tuple:
        if value is None:
            return ()
        items = value if isinstance(value, list | tuple) else str(value).split(self.split or ",")
        as_item = FieldSpec(map=self.map, replace=self.replace, strip=self.strip, conv=self.item)
        out = (as_item._convert(item, dialect, context) for item in items)
        return tuple(item for item in out if item not in (None, ""))

    def _convert(self, value: Any, dialect: str, context: dict[str, str], norm: Any = None) -> Any:
        """`norm`: the normaliser to call instead of this field's own (a deferring one)."""
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
            return (norm or _normalizer(self.conv))(dialect, text)
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
    #: a listing query whose rows each fill `sql` (a template), joined into one statement
    each: str | None = None
    each_join: str = "UNION ALL"


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
    #: names starting with this are the tool's own objects (journal, shadow tables)
    exclude_prefix: str = ""
    ident_quote: str = '"'
    ident_escapes: tuple[tuple[str, str], ...] = (('"', '""'),)

    def identifier(self, value: str) -> str:
        for old, new in self.ident_escapes:
            value = value.replace(old, new)
        return f"{self.ident_quote}{value}{self.ident_quote}"

    def expand(self, template: str, listing: Any, join: str) -> str | None:
        """One statement from a per-object template and the rows of its listing query:
        `{{row:col}}` becomes the row's value as a literal (NULL for None),
        `{{ident:col}}` as a quoted identifier; the filled copies are joined by `join`
        (UNION ALL). None when the listing is empty (nothing to read, no query).
        For objects whose settings live only in the object itself (MariaDB sequences)."""
        body = "\n".join(
            line for line in template.splitlines() if not line.lstrip().startswith("--")
        ).strip()
        names = list(listing.column_names)

        def fill(row: tuple) -> str:
            values = dict(zip(names, row, strict=False))

            def one(match: re.Match) -> str:
                how, column = match.groups()
                if column not in values:
                    raise ConfigError(f"{self.folder}: listing has no column {column!r}")
                value = values[column]
                if how == "ident":
                    return self.identifier(str(_as_text(value)))
                return "NULL" if value is None else self.literal(str(_as_text(value)))

            return ROW_PLACEHOLDER.sub(one, body)

        parts = [fill(row) for row in listing.rows]
        return f"\n{join}\n".join(parts) if parts else None

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
                each=_read_text(folder, q["each"]["file"]) if "each" in q else None,
                each_join=q.get("each", {}).get("join", "UNION ALL"),
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
        exclude_prefix=str(raw.get("exclude_name_prefix") or ""),
        ident_quote=raw.get("identifiers", {}).get("quote", '"'),
        ident_escapes=tuple(raw.get("identifiers", {}).get("escapes", {'"': '""'}).items()),
    )


# ------------------------------------------------------------------ running the queries

#: record kind -> {key tuple -> record dict}, groups in first-row order
Records = dict[str, dict[tuple, dict[str, Any]]]


def _apply_rules(records: Records, catalog: Catalog, context: dict[str, str]) -> Records:
    """Family quirks as data: set fields or drop records (the tool's own journal, objects
    every database has). Applied after grouping, so rules see whole records. Patterns are
    compiled once per run; a rule is tried only on its record kind."""
    compiled = [
        (
            rule,
            [(name, _compile_when(p, context)) for name, p in rule.when.items()],
        )
        for rule in catalog.rules
    ]
    prefix = catalog.exclude_prefix
    out: Records = {}
    for kind, groups in records.items():
        rules = [(r, w) for r, w in compiled if r.record in ("*", kind)]
        owned = PREFIX_FIELDS.get(kind, PREFIX_FIELDS["*"]) if prefix else ()
        kept: dict[tuple, dict[str, Any]] = {}
        for key, values in groups.items():
            if owned and _owned(values, owned, prefix):
                continue
            dropped = False
            for rule, when in rules:
                if _rule_matches(when, values):
                    if rule.drop:
                        dropped = True
                        break
                    values.update(rule.set)
            if not dropped:
                kept[key] = values
        out[kind] = kept
    return out


def _owned(values: dict[str, Any], fields: tuple[str, ...], prefix: str) -> bool:
    """Does a field name one of the tool's own objects (`exclude_name_prefix`)?"""
    for name in fields:
        value = values.get(name)
        if value and (value if value.__class__ is str else str(value)).startswith(prefix):
            return True
    return False


def _rule_matches(when: list[tuple[str, re.Pattern | str | None]], values: dict[str, Any]) -> bool:
    """`when` from `_compile_when`: a pattern, or the plain text a pattern without regex
    syntax matches (compared as text: most rules name one object, and this runs for
    every record of a large schema)."""
    for name, pattern in when:
        if name not in values:
            return False
        value = values[name]
        if pattern is None:
            if value is not None:
                return False
        elif value is None:
            return False
        elif pattern.__class__ is str:
            if (value if value.__class__ is str else str(value)) != pattern:
                return False
        elif not pattern.fullmatch(str(value)):
            return False
    return True


def _compile_when(pattern: str | None, context: dict[str, str]) -> re.Pattern | str | None:
    if pattern is None:
        return None
    text = _fill(pattern, context, True)
    return text if re.escape(text) == text else re.compile(text)


def current_database(session: Any, catalog: Catalog) -> str | None:
    if not catalog.current_database:
        return None
    return _as_text(session.query(catalog.current_database).scalar())


def _lock_wait_error(exc: Any, catalog: Catalog, database: str) -> ServerError | None:
    """A catalog read that gave up waiting for a lock (`read.lock_timeout_errors`: the
    family's SQLSTATEs for it) as a message a DBA can act on, instead of a bare server
    text: reading a view definition locks the tables it reads, so an open ALTER TABLE or
    LOCK TABLE elsewhere holds learning up; the wait is bounded (`read.begin` sets it)."""
    states = (catalog.raw.get("read") or {}).get("lock_timeout_errors") or ()
    if getattr(exc, "sqlstate", None) not in states:
        return None
    return ServerError(
        f"learning {database} gave up waiting for a lock: another session holds a lock on a "
        "table the catalog read needs (an open ALTER TABLE, LOCK TABLE or long transaction); "
        f"retry when it is released ({exc.message})",
        code=exc.code,
        sqlstate=exc.sqlstate,
        fields=exc.fields,
    )


def read_catalog(
    session: Any, folder: str, dialect: str, database: str, normaliser: Any = None
) -> Records:
    """Run every catalog query of `folder` for `database` on `session` and return the
    grouped, quirk-corrected records. Reads only: the queries run inside the family's
    read-only transaction when the data declares one (`read.begin` / `read.end`).
    `normaliser` (`engine.flo.normaliser.start()`): parse fragments in that helper process
    while the rows are read; its answers are in place before the rules run."""
    from engine.flo.catalog_rows import Prefetch, map_rows

    catalog = load_catalog(folder)
    context = {"database": database}
    if catalog.switch_database and current_database(session, catalog) != database:
        session.use(database)
    out: Records = {}
    if catalog.begin:
        session.query(catalog.begin)
    try:
        sqls = []
        for spec in catalog.queries:
            sql: str | None = catalog.render(spec.sql, context)
            if spec.each is not None:  # a listing first: the statement is built from it
                listing = session.query(catalog.render(spec.each, context))
                sql = catalog.expand(sql, listing, spec.each_join)
            sqls.append(sql)
        with Prefetch(session, sqls) as results:
            for spec, result in zip(catalog.queries, results, strict=True):
                if result is None:  # nothing listed, nothing asked
                    continue
                columns = list(result.column_names)
                map_rows(spec, columns, result.rows, dialect, context, out, normaliser)
    except ServerError as exc:
        clearer = _lock_wait_error(exc, catalog, database)
        if clearer is None:
            raise
        raise clearer from None
    finally:
        if catalog.end:
            session.query(catalog.end)
    if normaliser is not None:
        out = normaliser.resolve(out)
    return _apply_rules(out, catalog, context)

"""The canonical form of a snapshot: sorted collections and one JSON text.

Two producers (a catalog reader, the DDL parser, a hand-edited file) must give byte-equal
JSON for equal schemas, or hashes and diffs would report noise. So:
- `build_snapshot` / `sort_snapshot` put every collection that has no inherent order into
  key order (tables, indexes, constraints, trigger events, table options...), and leave the
  ordered ones alone (columns, index parts, key columns, enum labels, view columns,
  partitions in their declared order);
- `to_json` writes every field of every record (defaults included), tuples as lists, and
  `dumps` writes it with sorted keys; floats are refused (their text is not stable across
  platforms and producers) -- put numbers in as int or str;
- `from_json` validates against the shipped JSON Schema (`engine/ir/snapshot.schema.json`)
  and rebuilds the records exactly: `from_json(to_json(s)) == s`, `source` and `stats`
  included. A malformed document is a ConfigError naming the JSON path.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from importlib import resources
from typing import Any

from engine.errors import ConfigError
from engine.ir import model
from engine.ir.model import SNAPSHOT_FORMAT, Snapshot

# --- canonical order ---------------------------------------------------------------------


def _content(record) -> str:
    """The record's own canonical text: breaks ties between records with equal keys (two
    SQLite CHECKs without names), so the order is total and never depends on input order."""
    return json.dumps(_encode(record, ""), sort_keys=True)


def _sorted(items, key) -> tuple:
    items = list(items)
    if len(items) < 2:
        return tuple(items)
    keys = [key(x) for x in items]
    if len(set(keys)) == len(keys):  # the usual case: keys alone give a total order
        return tuple(x for _, x in sorted(zip(keys, items, strict=True), key=lambda p: p[0]))
    return tuple(sorted(items, key=lambda x: (key(x), _content(x))))


def _by_name(items) -> tuple:
    return _sorted(items, lambda x: x.name)


def _by_key(items) -> tuple:
    return _sorted(items, lambda x: x.key)


def _sort_table(t: model.Table) -> model.Table:
    sorted_ = {
        "uniques": _by_name(t.uniques),
        "foreign_keys": _by_name(t.foreign_keys),
        "checks": _by_name(t.checks),
        "indexes": _by_name(t.indexes),
        "options": tuple(sorted(t.options)),
    }
    if all(getattr(t, name) == value for name, value in sorted_.items()):
        return t  # the usual case for a learned table: no new record to build
    return dataclasses.replace(t, **sorted_)


#: the last snapshots sort_snapshot produced (records have slots: no weak references):
#: sorting one again returns it as is -- learn, hash and write would otherwise sort a
#: 1,000-table snapshot three times. Bounded, so at most four snapshots are kept alive
#: (a plan holds both sides, each also with its columns in name order).
_CANONICAL: list[Snapshot] = []
_KEEP = 4


def is_canonical(s: Snapshot) -> bool:
    """Known to be in canonical order already (made by sort_snapshot, lately)."""
    return any(known is s for known in _CANONICAL)


def _remember(out: Snapshot) -> None:
    _CANONICAL[:] = [out, *_CANONICAL[: _KEEP - 1]]


def sort_snapshot(s: Snapshot) -> Snapshot:
    """`s` with every unordered collection in canonical order (idempotent)."""
    if is_canonical(s):
        return s
    out = _sort(s)
    _remember(out)
    return out


def with_source(s: Snapshot, *, source: dict, stats: dict) -> Snapshot:
    """`s` with new `source` and `stats` (which no order depends on): a canonical `s`
    gives a snapshot known canonical too, so it is not sorted again."""
    out = dataclasses.replace(s, source=dict(source), stats=dict(stats))
    if is_canonical(s):
        _remember(out)
        return out
    return sort_snapshot(out)


def with_tables(s: Snapshot, tables: tuple) -> Snapshot:
    """`s` with `tables` in the same order and with the same sorted collections, only
    ordered ones (columns) changed: a canonical `s` gives one known canonical too."""
    out = dataclasses.replace(s, tables=tables)
    if is_canonical(s):
        _remember(out)
        return out
    return sort_snapshot(out)


def _sort(s: Snapshot) -> Snapshot:
    return dataclasses.replace(
        s,
        namespaces=_by_key(s.namespaces),
        tables=_by_key(_sort_table(t) for t in s.tables),
        views=_by_key(dataclasses.replace(v, indexes=_by_name(v.indexes)) for v in s.views),
        sequences=_by_key(s.sequences),
        types=_by_key(s.types),
        triggers=_by_key(
            dataclasses.replace(t, events=tuple(sorted(set(t.events)))) for t in s.triggers
        ),
        routines=_by_key(s.routines),
        extensions=_by_key(s.extensions),
        source=dict(s.source),
        stats=dict(s.stats),
    )


def build_snapshot(
    dialect: str,
    *,
    namespaces=(),
    tables=(),
    views=(),
    sequences=(),
    types=(),
    triggers=(),
    routines=(),
    extensions=(),
    source: dict | None = None,
    stats: dict | None = None,
) -> Snapshot:
    """The one way producers should make a Snapshot: any iterables in, canonical order out."""
    return sort_snapshot(
        Snapshot(
            dialect=dialect,
            namespaces=tuple(namespaces),
            tables=tuple(tables),
            views=tuple(views),
            sequences=tuple(sequences),
            types=tuple(types),
            triggers=tuple(triggers),
            routines=tuple(routines),
            extensions=tuple(extensions),
            source=dict(source or {}),
            stats=dict(stats or {}),
        )
    )


# --- records <-> JSON ----------------------------------------------------------------------


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


def _plain(value: Any, path: str) -> Any:
    """A JSON-able copy of a free-form value (source/stats), refusing what would not
    round-trip exactly."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise ConfigError(f"snapshot {path}: floats are not allowed (use int or str): {value!r}")
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ConfigError(f"snapshot {path}: keys must be strings, got {k!r}")
            out[k] = _plain(v, f"{path}/{k}")
        return out
    if isinstance(value, list):
        return [_plain(v, f"{path}/{i}") for i, v in enumerate(value)]
    kind = type(value).__name__
    raise ConfigError(f"snapshot {path}: {kind} is not JSON (use dicts, lists, str, int)")


_SCALARS = frozenset({str, int, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...]] = {}  # record class -> names of its encoded fields


def _encode(value: Any, path: str) -> Any:
    """Records to plain JSON values. Hot (every object of every snapshot): scalars and
    known record classes are tried first, the path is only built on the slow path."""
    cls = type(value)
    if cls in _SCALARS:
        return value
    names = _FIELDS.get(cls)
    if names is None and dataclasses.is_dataclass(value):
        skip = ("source", "stats")
        names = _FIELDS[cls] = tuple(
            f.name for f in dataclasses.fields(value) if f.name not in skip
        )
    if names is not None:
        return {n: _encode(getattr(value, n), path) for n in names}
    if cls is tuple:
        return [_encode(v, path) for v in value]
    return _plain(value, path)


def to_json(snapshot: Snapshot) -> dict:
    """The canonical JSON document (a dict) of a snapshot, collections sorted."""
    s = sort_snapshot(snapshot)
    doc = {"format": SNAPSHOT_FORMAT, **_encode(s, "")}
    doc["source"] = _plain(s.source, "/source")
    doc["stats"] = _plain(s.stats, "/stats")
    return doc


def dumps(snapshot: Snapshot) -> str:
    """Canonical text: sorted keys, two-space indent, UTF-8 kept, trailing newline.

    Byte for byte `json.dumps(to_json(s), sort_keys=True, indent=2, ensure_ascii=False)`,
    written straight from the records (`_Writer`): the json module's indenting encoder is
    pure Python and was the slowest step of `sqlx snapshot:pull` on a large schema."""
    s = sort_snapshot(snapshot)
    w = _PRETTY
    inner = "  "
    parts = {"format": w.value(SNAPSHOT_FORMAT, inner)}
    for name in _record_fields(Snapshot):
        parts[name] = w.value(getattr(s, name), inner)
    parts["source"] = w.free(_plain(s.source, "/source"), inner)
    parts["stats"] = w.free(_plain(s.stats, "/stats"), inner)
    body = ",\n  ".join(f"{_estr(k)}: {parts[k]}" for k in sorted(parts))
    return "{\n  " + body + "\n}\n"


def hash_text(snapshot: Snapshot) -> str:
    """The compact text `engine.ir.hashing` hashes: byte for byte
    `json.dumps(hash_document(s), sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
    (no source, stats or column raw_type), written straight from the records."""
    return hash_text_records(snapshot)[0]


def hash_text_records(snapshot: Snapshot) -> tuple[str, dict[str, list[str]]]:
    """`hash_text(s)` and, per collection, each record's text in it (`record_text` of each,
    in the canonical order): the planner's per-object digests and a hash in one pass."""
    s = sort_snapshot(snapshot)
    w = _COMPACT
    parts = {"format": w.value(SNAPSHOT_FORMAT, "")}
    records: dict[str, list[str]] = {}
    for name in _record_fields(Snapshot):
        value = getattr(s, name)
        if value.__class__ is tuple:  # as w.value writes a tuple, keeping the pieces
            texts = records[name] = [w.value(x, "") for x in value]
            parts[name] = "[" + ",".join(texts) + "]"
        else:
            parts[name] = w.value(value, "")
    text = "{" + ",".join(f"{_estr(k)}:{parts[k]}" for k in sorted(parts)) + "}"
    return text, records


def hash_texts_both_orders(snapshot: Snapshot) -> tuple[str, str, dict[str, list[str]]]:
    """`hash_text(s)`, and `hash_text_records(s2)` of s2 = s with every table's columns in
    name order (`hashing.columns_by_name`: the planner's "equal, column order aside"
    document), in one pass: each record is written once, a table as the text around its
    columns plus each column's text, joined in both orders. A plan needs both documents
    of a learned side; the columns are most of either."""
    s = sort_snapshot(snapshot)
    w = _COMPACT
    parts = {"format": w.value(SNAPSHOT_FORMAT, "")}
    aside = dict(parts)
    records: dict[str, list[str]] = {}
    for name in _record_fields(Snapshot):
        value = getattr(s, name)
        if name == "tables" and value.__class__ is tuple:
            texts, texts_aside = _table_texts(value)
            parts[name] = "[" + ",".join(texts) + "]"
            aside[name] = "[" + ",".join(texts_aside) + "]"
            records[name] = texts_aside
        elif value.__class__ is tuple:
            texts = records[name] = [w.value(x, "") for x in value]
            parts[name] = aside[name] = "[" + ",".join(texts) + "]"
        else:
            parts[name] = aside[name] = w.value(value, "")
    keys = sorted(parts)
    text = "{" + ",".join(f"{_estr(k)}:{parts[k]}" for k in keys) + "}"
    text_aside = "{" + ",".join(f"{_estr(k)}:{aside[k]}" for k in keys) + "}"
    return text, text_aside, records


def _table_texts(tables: tuple) -> tuple[list[str], list[str]]:
    """Each table's compact text with its columns in their order and in name order."""
    w = _COMPACT
    around = w.around(model.Table, "columns")
    column = w.record_writer(model.Column)
    ordered, by_name = [], []
    for t in tables:
        if t.__class__ is not model.Table or t.columns.__class__ is not tuple:
            text = w.value(t, "")  # not a plain record: no shortcut (never from FLO)
            ordered.append(text)
            by_name.append(w.value(_columns_by_name(t), ""))
            continue
        head, tail = around(t, "")
        cols = [column(c, "") if c.__class__ is model.Column else w.value(c, "") for c in t.columns]
        ordered.append(head + "[" + ",".join(cols) + "]" + tail)
        names = [c.name for c in t.columns]
        if names != sorted(names):
            order = sorted(range(len(cols)), key=names.__getitem__)
            cols = [cols[i] for i in order]
        by_name.append(head + "[" + ",".join(cols) + "]" + tail)
    return ordered, by_name


def _columns_by_name(t: Any) -> Any:
    return dataclasses.replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name)))


def record_text(record: Any) -> str:
    """One IR record's compact canonical text (as inside `hash_text`): cheap per-object
    digests for the planner's drift report. The record's own collections must be sorted
    (they are in any snapshot that went through sort_snapshot)."""
    return _COMPACT.value(record, "")


# --- the direct writers ----------------------------------------------------------------------

_estr = json.encoder.encode_basestring  # the C string encoder json.dumps uses (UTF-8 kept)


def _record_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        skip = ("source", "stats")
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.name not in skip)
    return names


class _Writer:
    """JSON text of IR values, keys sorted, in json.dumps' indented (`pretty`) or compact
    layout. One function per record class is generated on first use, so writing a record
    is one call plus one per field, not the json module's generator chain per value."""

    def __init__(self, pretty: bool, skip: dict[type, frozenset[str]]) -> None:
        self.pretty = pretty
        self.skip = skip
        self.records: dict[type, Any] = {}

    def value(self, v: Any, ind: str) -> str:
        cls = type(v)
        if cls is str:
            return _estr(v)
        if v is None:
            return "null"
        if cls is bool:
            return "true" if v else "false"
        if cls is int:
            return int.__repr__(v)
        if cls is tuple or cls is list:
            if not v:
                return "[]"
            if not self.pretty:
                return "[" + ",".join([self.value(x, ind) for x in v]) + "]"
            inner = ind + "  "
            sep = ",\n" + inner
            return "[\n" + inner + sep.join([self.value(x, inner) for x in v]) + "\n" + ind + "]"
        if cls is dict:  # free-form (source, stats): keys are strings, checked by _plain
            if not v:
                return "{}"
            inner = ind + "  " if self.pretty else ind
            colon, sep = (": ", ",\n" + inner) if self.pretty else (":", ",")
            body = sep.join([_estr(k) + colon + self.value(v[k], inner) for k in sorted(v)])
            return "{\n" + inner + body + "\n" + ind + "}" if self.pretty else "{" + body + "}"
        write = self.records.get(cls)
        if write is None and dataclasses.is_dataclass(v):
            write = self.records[cls] = self._compile(cls)
        if write is not None:
            return write(v, ind)
        plain = _plain(v, "")  # a subclass of a JSON type, else ConfigError
        if isinstance(plain, bool):
            return "true" if plain else "false"
        if isinstance(plain, int):
            return int.__repr__(plain)
        if isinstance(plain, str):
            return _estr(plain)
        return self.value(plain, ind)  # dict / list subclasses come back plain

    def free(self, v: Any, ind: str) -> str:
        """A free-form JSON value (source, stats), already checked by `_plain`."""
        return self.value(v, ind)

    def record_writer(self, cls: type):
        """The writer of one record class, `f(record, ind) -> text`."""
        write = self.records.get(cls)
        if write is None:
            write = self.records[cls] = self._compile(cls)
        return write

    def around(self, cls: type, hole: str):
        """`f(record, ind) -> (head, tail)`: the record's text without the value of field
        `hole` (head ends with its key), for a caller that writes that value itself."""
        key = (cls, hole)
        write = self.records.get(key)
        if write is None:
            write = self.records[key] = self._compile(cls, hole)
        return write

    def _compile(self, cls: type, hole: str | None = None):
        """The writer of one record class: a single str.join over the record's pieces
        ({\n<i>"a": A,\n<i>"b": B\n<ind>} pretty, {"a":A,"b":B} compact), keys sorted."""
        names = sorted(n for n in _record_fields(cls) if n not in self.skip.get(cls, ()))
        colon, sep = (": ", "',\\n', i, ") if self.pretty else (":", "',', ")
        hints = _hints(cls)
        scope: dict[str, Any] = {"V": self.value, "E": _estr}
        pieces = []
        for n in names:
            expr = _inline(n, hints[n])
            item = _record_items(hints[n])
            if item is not None:  # tuple[Record, ...]: the list written without dispatch
                scope[f"L_{n}"] = self._list_of(item)
                expr = f"L_{n}(o.{n}, i)"
            if n == hole:
                expr = "@HOLE@"
            pieces.append(f"{json.dumps(_estr(n) + colon)}, {expr}, ")
        if self.pretty:
            head, tail, inner = "'{\\n', i, ", "'\\n', ind, '}'", 'ind + "  "'
        else:
            head, tail, inner = "'{', ", "'}'", "ind"
        body = head + sep.join(pieces) + tail
        if hole is not None:  # (text before the value, text after it)
            before, after = body.split("@HOLE@, ")
            body = f"{before})), ''.join(({after}"
        source = f"def write(o, ind):\n    i = {inner}\n    return ''.join(({body}))\n"
        exec(compile(source, f"<canonical writer {cls.__name__}>", "exec"), scope)
        return scope["write"]

    def _list_of(self, item: type):
        """A writer for a tuple of `item` records (any other value goes through value())."""
        value, records, pretty = self.value, self.records, self.pretty

        def write_list(items: Any, ind: str) -> str:
            if not items or items.__class__ is not tuple:
                return value(items, ind)
            write = records.get(item)
            if write is None:
                write = records[item] = self._compile(item)
            inner = ind + "  " if pretty else ind
            parts = [write(x, inner) if x.__class__ is item else value(x, inner) for x in items]
            if not pretty:
                return "[" + ",".join(parts) + "]"
            return "[\n" + inner + (",\n" + inner).join(parts) + "\n" + ind + "]"

        return write_list


def _record_items(hint: Any) -> type | None:
    """X for a `tuple[X, ...]` field whose X is a record class, else None."""
    if typing.get_origin(hint) is not tuple:
        return None
    args = typing.get_args(hint)
    ok = len(args) == 2 and args[1] is Ellipsis and dataclasses.is_dataclass(args[0])
    return args[0] if ok else None


def _inline(name: str, hint: Any) -> str:
    """The writer's expression for one field: strings, None and booleans inline when the
    field's type says they are likely, anything else (or a surprise) through V."""
    args = set(typing.get_args(hint)) or {hint}
    expr = f"V(o.{name}, i)"
    if bool in args:
        expr = f'("true" if o.{name} is True else "false" if o.{name} is False else {expr})'
    if type(None) in args:
        expr = f'("null" if o.{name} is None else {expr})'
    if str in args:
        expr = f"(E(o.{name}) if o.{name}.__class__ is str else {expr})"
    return expr


_PRETTY = _Writer(pretty=True, skip={})
_COMPACT = _Writer(pretty=False, skip={model.Column: frozenset({"raw_type"})})


def _decode(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(inner, value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        kwargs = {
            f.name: _decode(hints[f.name], value[f.name])
            for f in dataclasses.fields(hint)
            if f.name in value
        }
        return hint(**kwargs)
    return value


@functools.cache
def snapshot_schema() -> dict:
    text = resources.files("engine.ir").joinpath("snapshot.schema.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(snapshot_schema())


def validate(doc: Any) -> None:
    """Raise ConfigError naming the JSON path of the first problem in a snapshot document."""
    import jsonschema

    validator = _validator()
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        raise ConfigError(f"snapshot {where}: {error.message}", path=where)


def from_json(doc: Any, *, trusted: bool = False) -> Snapshot:
    """A Snapshot from its JSON document; fields left out take their defaults, and
    collections are put in canonical order (a hand-edited file need not be sorted).
    `trusted`: the document is one this engine wrote and nobody edited (a platform's stored
    profile), so the JSON Schema check -- most of the cost for a large schema -- is skipped."""
    if not trusted:
        validate(doc)
    body = {k: v for k, v in doc.items() if k != "format"}
    snap = _decode(Snapshot, body)
    return sort_snapshot(
        dataclasses.replace(
            snap, source=dict(doc.get("source", {})), stats=dict(doc.get("stats", {}))
        )
    )


def loads(text: str | bytes, *, trusted: bool = False) -> Snapshot:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"snapshot: not valid JSON ({exc})") from None
    return from_json(doc, trusted=trusted)

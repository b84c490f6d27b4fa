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
    keys = [key(x) for x in items]
    if len(set(keys)) == len(keys):  # the usual case: keys alone give a total order
        return tuple(x for _, x in sorted(zip(keys, items, strict=True), key=lambda p: p[0]))
    return tuple(sorted(items, key=lambda x: (key(x), _content(x))))


def _by_name(items) -> tuple:
    return _sorted(items, lambda x: x.name)


def _by_key(items) -> tuple:
    return _sorted(items, lambda x: x.key)


def _sort_table(t: model.Table) -> model.Table:
    return dataclasses.replace(
        t,
        uniques=_by_name(t.uniques),
        foreign_keys=_by_name(t.foreign_keys),
        checks=_by_name(t.checks),
        indexes=_by_name(t.indexes),
        options=tuple(sorted(t.options)),
    )


def sort_snapshot(s: Snapshot) -> Snapshot:
    """`s` with every unordered collection in canonical order (idempotent)."""
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
    """Canonical text: sorted keys, two-space indent, UTF-8 kept, trailing newline."""
    return json.dumps(to_json(snapshot), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


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


def from_json(doc: Any) -> Snapshot:
    """A Snapshot from its JSON document; fields left out take their defaults, and
    collections are put in canonical order (a hand-edited file need not be sorted)."""
    validate(doc)
    body = {k: v for k, v in doc.items() if k != "format"}
    snap = _decode(Snapshot, body)
    return sort_snapshot(
        dataclasses.replace(
            snap, source=dict(doc.get("source", {})), stats=dict(doc.get("stats", {}))
        )
    )


def loads(text: str | bytes) -> Snapshot:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"snapshot: not valid JSON ({exc})") from None
    return from_json(doc)

"""Learn one database: catalog records -> IR snapshot, its profile hash, and stats.

`engine.flo.catalog` runs the family's catalog queries and hands back plain records per
kind ("table", "column", "index", ...). This module knows the IR, not any family: it turns
records into `engine.ir.model` objects by field name, attaches children to their table (or
materialised view), and leaves every volatile number (row estimates, sizes, object counts)
in `stats`, which never enters the profile hash.

Where a family keeps facts only in the stored DDL (SQLite has no catalog for CHECK
constraints, partial index predicates or generated expressions), the family's catalog.json
names, per record kind, a `ddl` field holding the stored statement and the IR fields to take
from `engine.ir.parse_ddl` of it when the catalog left them empty ("ddl_fill").
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.flo.catalog import Records, load_catalog, read_catalog
from engine.gcpause import paused
from engine.ir import model
from engine.ir.canonical import sort_snapshot, with_source
from engine.wirevm.packs import registry_entry

#: record kind -> IR class; children: kind -> (parent attribute, single value?)
CLASSES = {
    "namespace": model.Namespace,
    "table": model.Table,
    "column": model.Column,
    "primary_key": model.PrimaryKey,
    "unique": model.UniqueConstraint,
    "foreign_key": model.ForeignKey,
    "check": model.Check,
    "index": model.Index,
    "view": model.View,
    "sequence": model.Sequence,
    "type": model.UserType,
    "trigger": model.Trigger,
    "routine": model.Routine,
    "extension": model.Extension,
}
TABLE_CHILDREN = {
    "column": ("columns", False),
    "primary_key": ("primary_key", True),
    "unique": ("uniques", False),
    "foreign_key": ("foreign_keys", False),
    "check": ("checks", False),
    "index": ("indexes", False),
}
TOP_LEVEL = {
    "namespace": "namespaces",
    "view": "views",
    "sequence": "sequences",
    "type": "types",
    "trigger": "triggers",
    "routine": "routines",
    "extension": "extensions",
}


@dataclass(frozen=True)
class LearnedDatabase:
    """One database as FLO learned it: the IR snapshot (hashable part), its profile hash,
    and volatile stats (object counts, per-table row estimates and sizes)."""

    name: str
    snapshot: model.Snapshot
    profile_hash: str
    stats: dict = field(default_factory=dict, compare=False)
    #: (profile_hash(snapshot, column_order=False), the per-record texts of that
    #: document) when asked for (`learn_database(..., column_order_aside=True)`)
    column_order_aside: tuple[str, dict[str, list[str]]] | None = field(default=None, compare=False)


@functools.cache
def _builder(cls: type, with_extra: bool):
    """A generated `(values, extra) -> cls` for one IR class: fields by name, lists as
    tuples, None -> the IR default where the field has one; `extra` (given values) wins.
    Generated because it runs for every object of a large schema (18,000 for 1,000
    tables); the variant without `extra` (columns, index parts, keys) skips its checks.
    The record is filled slot by slot (what the frozen class's __init__ does, without
    the call and keyword dict): IR records have no __post_init__ (a test checks)."""
    fields = dataclasses.fields(cls)
    scope: dict[str, Any] = {"cls": cls, "MISSING": _MISSING, "new": object.__new__}
    lines = ["def build(values, extra):", "    get = values.get", "    o = new(cls)"]
    for i, f in enumerate(fields):
        scope[f"S{i}"] = cls.__dict__[f.name].__set__  # the slot's member descriptor
        pad = ""
        if with_extra:
            lines += [f"    if {f.name!r} in extra:", f"        v = extra[{f.name!r}]", "    else:"]
            pad = "    "
        lines.append(f"    {pad}v = get({f.name!r}, MISSING)")
        if f.default is not dataclasses.MISSING:
            scope[f"D{i}"] = f.default
            lines.append(f"    {pad}if v is None or v is MISSING:")
            lines.append(f"    {pad}    v = D{i}")
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"F{i}"] = f.default_factory
            lines.append(f"    {pad}if v is MISSING:")
            lines.append(f"    {pad}    v = F{i}()")
        else:
            lines.append(f"    {pad}if v is MISSING:")
            lines.append(f"    {pad}    raise TypeError('{cls.__name__}: missing {f.name}')")
        lines.append(f"    {pad}elif v.__class__ is list:")
        lines.append(f"    {pad}    v = tuple(v)")
        lines.append(f"    S{i}(o, v)")
    lines.append("    return o")
    exec(compile("\n".join(lines) + "\n", f"<build {cls.__name__}>", "exec"), scope)
    return scope["build"]


_MISSING = object()


def _build(cls: type, values: dict[str, Any], **extra: Any) -> Any:
    """An IR object from a record: fields by name, lists as tuples, absent -> defaults
    ("not stated", None, -> the IR's default, e.g. nullable True)."""
    return _builder(cls, bool(extra))(values, extra)


def _index(values: dict[str, Any]) -> model.Index:
    parts = tuple(_build(model.IndexPart, p) for p in values.get("parts", ()))
    return _build(model.Index, values, parts=parts)


def _table_options(values: dict[str, Any], dialect: str) -> tuple[tuple[str, str], ...]:
    """Fields named `option.<key>` -> the table's options, defaults dropped by the IR."""
    from engine.ir.normalize_text import normalize_table_options

    prefix = "option."
    pairs = [(k[len(prefix) :], v) for k, v in values.items() if k.startswith(prefix) and v]
    return normalize_table_options(dialect, [(k, v) for k, v in pairs if v != ""])


def _partitioning(values: dict[str, Any], partitions: list[dict]) -> model.Partitioning | None:
    strategy = values.get("partition_strategy")
    if not strategy:
        return None
    bounds = tuple((p["name"], p.get("bound") or "") for p in partitions)
    return model.Partitioning(
        strategy=strategy, key=tuple(values.get("partition_key") or ()), partitions=bounds
    )


def assemble(records: Records, dialect: str) -> model.Snapshot:
    """Records (from `read_catalog`) -> a sorted Snapshot. Children whose parent is not a
    learned table (excluded or a partition) are dropped with it."""
    children: dict[tuple, dict[str, list]] = {}
    for kind in (*TABLE_CHILDREN, "partition"):
        for values in records.get(kind, {}).values():
            built: Any = values
            if kind == "index":
                built = _index(values)
            elif kind in CLASSES:
                built = _build(CLASSES[kind], values)
            parent = (values.get("schema") or "", values.get("table"))
            children.setdefault(parent, {}).setdefault(kind, []).append(built)

    tables = []
    for values in records.get("table", {}).values():
        key = (values.get("schema") or "", values.get("name"))
        kids = children.pop(key, {})
        extra: dict[str, Any] = {
            "schema": key[0],
            "options": _table_options(values, dialect),
            "partitioning": _partitioning(values, kids.get("partition", [])),
        }
        for kind, (attr, single) in TABLE_CHILDREN.items():
            items = kids.get(kind, [])
            if single:
                extra[attr] = items[0] if items else None
            else:
                extra[attr] = tuple(items)  # sort_snapshot orders the unordered ones
        tables.append(_build(model.Table, values, **extra))

    views = []
    for values in records.get("view", {}).values():
        key = (values.get("schema") or "", values.get("name"))
        indexes = children.pop(key, {}).get("index", [])
        views.append(_build(model.View, values, schema=key[0], indexes=tuple(indexes)))

    top: dict[str, list] = {attr: [] for attr in TOP_LEVEL.values()}
    for kind, attr in TOP_LEVEL.items():
        if kind == "view":
            continue
        for values in records.get(kind, {}).values():
            if kind == "trigger":
                values = {**values, "events": sorted(values.get("events") or ())}
            built = _build(CLASSES[kind], values)
            if kind == "sequence":
                from engine.ir.normalize_text import normalize_sequence

                built = normalize_sequence(dialect, built)
            top[attr].append(built)
    top["views"] = views
    by_key = {attr: tuple(items) for attr, items in top.items()}
    return sort_snapshot(model.Snapshot(dialect=dialect, tables=tuple(tables), **by_key))


# ------------------------------------------------------------------ facts only in the DDL

DDL_KINDS = ("table", "index", "view", "trigger")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == ()


def _pair(mine: tuple, theirs: tuple) -> list[tuple[Any, Any]]:
    """Match learned items to parsed ones: by key columns (constraints), else by a
    non-empty name (columns), else by position (index parts)."""
    out = []
    for i, item in enumerate(mine):
        partner = None
        if hasattr(item, "columns"):
            partner = next((t for t in theirs if t.columns == item.columns), None)
        elif getattr(item, "name", None):
            partner = next((t for t in theirs if t.name == item.name), None)
        elif i < len(theirs):
            partner = theirs[i]
        out.append((item, partner))
    return out


def _fill(obj: Any, parsed: Any, paths: list[str]) -> Any:
    """Copy the fields named by `paths` ("checks", "columns.generated") from the parsed
    object into the learned one wherever the catalog left them empty."""
    if parsed is None:
        return obj
    for path in paths:
        head, _, attr = path.partition(".")
        mine, theirs = getattr(obj, head, None), getattr(parsed, head, None)
        if not attr:
            if _empty(mine) and not _empty(theirs):
                obj = dataclasses.replace(obj, **{head: theirs})
            continue
        if mine is None or theirs is None:
            continue
        if isinstance(mine, tuple):
            new = tuple(_fill(m, t, [attr]) if t is not None else m for m, t in _pair(mine, theirs))
        else:
            new = _fill(mine, theirs, [attr])
        obj = dataclasses.replace(obj, **{head: new})
    return obj


def _parse_stored(texts: list[str], dialect: str, warnings: list[str]) -> model.Snapshot:
    """parse_ddl of all stored statements at once; a statement the parser refuses is left
    out (and named in `warnings`) so one odd object cannot stop a whole database."""
    from engine.ir import parse_ddl
    from engine.ir.sqltokens import DDLParseError

    texts = list(texts)
    while True:
        try:
            return parse_ddl(";\n".join(texts) + ";", dialect)
        except DDLParseError as exc:
            bad = next((t for t in texts if exc.statement and exc.statement.strip() in t), None)
            if bad is None:
                bad = texts[-1] if len(texts) == 1 else None
            if bad is None:
                warnings.append(f"stored DDL not parsed, facts kept only in it are missing: {exc}")
                return model.Snapshot(dialect=dialect)
            warnings.append(f"stored DDL not parsed: {exc}")
            texts.remove(bad)
            if not texts:
                return model.Snapshot(dialect=dialect)


def _fill_from_ddl(
    snapshot: model.Snapshot, records: Records, spec: dict, warnings: list[str]
) -> model.Snapshot:
    """Parse every stored statement of the database once and fill what the catalog lacks
    (catalog.json `ddl_fill`: record kind -> field paths)."""
    texts = [
        values["ddl"].strip().rstrip(";")
        for kind in DDL_KINDS
        for values in records.get(kind, {}).values()
        if values.get("ddl")
    ]
    if not spec or not texts:
        return snapshot
    parsed = _parse_stored(texts, snapshot.dialect, warnings)
    parsed_indexes = {
        (i.name, t.name): i for t in (*parsed.tables, *parsed.views) for i in t.indexes
    }
    tables = []
    for t in snapshot.tables:
        t = _fill(t, parsed.table(t.schema, t.name), spec.get("table", []))
        indexes = tuple(
            _fill(i, parsed_indexes.get((i.name, t.name)), spec.get("index", [])) for i in t.indexes
        )
        tables.append(dataclasses.replace(t, indexes=indexes))
    views = {v.key: v for v in parsed.views}
    triggers = {g.key: g for g in parsed.triggers}
    return dataclasses.replace(
        snapshot,
        tables=tuple(tables),
        views=tuple(_fill(v, views.get(v.key), spec.get("view", [])) for v in snapshot.views),
        triggers=tuple(
            _fill(g, triggers.get(g.key), spec.get("trigger", [])) for g in snapshot.triggers
        ),
    )


def _stats(records: Records, snapshot: model.Snapshot) -> dict:
    """Never hashed: object counts from the snapshot, per-table numbers from the catalog."""
    per_table = {}
    for values in records.get("stats", {}).values():
        name = ".".join(p for p in (values.get("schema"), values.get("table")) if p)
        per_table[name] = {k: values.get(k) for k in ("rows", "bytes")}
    counts = {
        "tables": len(snapshot.tables),
        "columns": sum(len(t.columns) for t in snapshot.tables),
        "indexes": sum(len(t.indexes) for t in snapshot.tables)
        + sum(len(v.indexes) for v in snapshot.views),
        "foreign_keys": sum(len(t.foreign_keys) for t in snapshot.tables),
        "views": len(snapshot.views),
        "sequences": len(snapshot.sequences),
        "types": len(snapshot.types),
        "triggers": len(snapshot.triggers),
        "routines": len(snapshot.routines),
        "extensions": len(snapshot.extensions),
        "namespaces": len(snapshot.namespaces),
    }
    totals = {
        "rows": sum(v["rows"] or 0 for v in per_table.values()),
        "bytes": sum(v["bytes"] or 0 for v in per_table.values()),
    }
    return {"counts": counts, "tables": per_table, "totals": totals}


def family_of(session: Any) -> tuple[str, str]:
    """(FLO data folder, sqlglot dialect) for a session, from the registry and its pack."""
    entry = registry_entry(session.cfg.scheme)
    pack = session.pack
    raw = getattr(pack, "raw", pack) or {}
    return entry["flo"], raw.get("sql_dialect", "")


def _import_in_background(module: str) -> None:
    """Start importing `module` on a thread while this one waits on the server.

    The catalog reads are mostly waiting for bytes, and the first fragment to normalise
    needs sqlglot, whose import costs about as much as the reads: doing both at once takes
    it off a one-shot command's wall clock. The import lock makes the later plain import
    wait for this one (or redo it and raise, if this one failed)."""
    threading.Thread(target=importlib.import_module, args=(module,), daemon=True).start()


def learn_database(
    session: Any,
    database: str,
    *,
    server_fingerprint: str | None = None,
    normaliser: Any = None,
    alongside: Callable[[model.Snapshot], Any] | None = None,
    column_order_aside: bool = False,
) -> LearnedDatabase:
    """Read `database`'s catalog through `session` (read-only) into a LearnedDatabase.

    PostgreSQL-like families switch the session to `database` first (catalog.json
    `database.switch`); others read it by name from their information schema. The
    snapshot's `source.server` is the server's fingerprint (`learn_server(...).fingerprint`;
    pass it when already known, else it is read with three small queries).
    `normaliser`: an `engine.flo.normaliser.start()` helper to parse fragments in (one
    use; a one-shot command starts it before connecting, so sqlglot loads meanwhile).
    `alongside(snapshot)`: work on the finished snapshot (writing it) done here while the
    profile hash is computed in a forked child (`engine.forked`; a thread where forking
    is not safe): the two are the last and longest steps of `sqlx snapshot:pull`.
    `column_order_aside`: also the hash of the snapshot with its columns in name order and
    that document's record texts (what a plan asks of each side), in the same pass.
    """
    from engine.flo.server import server_fingerprint as fingerprint_of_server

    folder, dialect = family_of(session)
    load_catalog(folder)  # fail early on broken data, before touching the server
    if normaliser is None:  # sqlglot: ~0.2 s, overlapped with the reads
        _import_in_background("engine.ir.normalize")
    server = server_fingerprint or fingerprint_of_server(session)  # before the read txn
    # with a helper this process parses no SQL: nothing cyclic is made while reading
    reading = paused() if normaliser is not None else contextlib.nullcontext()
    try:
        with reading:
            records = read_catalog(session, folder, dialect, database, normaliser)
    finally:
        if normaliser is not None:
            normaliser.close()
    with paused():
        return _finish(records, database, dialect, folder, server, alongside, column_order_aside)


def _finish(
    records: Records,
    database: str,
    dialect: str,
    folder: str,
    server: str,
    alongside: Callable[[model.Snapshot], Any] | None = None,
    column_order_aside: bool = False,
) -> LearnedDatabase:
    """Records -> IR snapshot, stats, source and profile hash (no SQL parsing here,
    except a family's stored DDL, `ddl_fill`)."""
    from engine.ir.hashing import profile_hash, profile_hashes

    warnings: list[str] = []
    snapshot = assemble(records, dialect)
    fill = load_catalog(folder).raw.get("ddl_fill", {})
    filled = _fill_from_ddl(snapshot, records, fill, warnings)
    if filled is not snapshot:
        snapshot = sort_snapshot(filled)  # names filled in may change the order
    stats = _stats(records, snapshot)
    learned_at = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
    source = {"kind": "live", "database": database, "learned_at": learned_at, "server": server}
    if warnings:
        source["warnings"] = warnings
    # sorted already, and known so: hashing and writing it do not sort 1,000 tables again
    snapshot = with_source(snapshot, source=source, stats=stats)
    aside = None
    if column_order_aside and alongside is None:
        digest, unordered, texts = profile_hashes(snapshot)
        aside = (unordered, texts)
    elif alongside is None:
        digest = profile_hash(snapshot)
    else:
        from engine import forked

        pending = forked.start(profile_hash, snapshot)
        try:
            alongside(snapshot)
        except BaseException:
            pending.cancel()
            raise
        digest = pending.result()
    return LearnedDatabase(
        name=database,
        snapshot=snapshot,
        profile_hash=digest,
        stats=stats,
        column_order_aside=aside,
    )

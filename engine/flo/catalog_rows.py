"""Catalog rows -> records, fast: the inner loop of `engine.flo.catalog.read_catalog`.

A 1,000-table schema is about 16,000 catalog rows and 240,000 values, so the per-row work
is generated once per query result (`_builder`: one dict display per record, plain columns
read inline, everything else through `FieldSpec.reader`), and the queries run on a worker
thread (`Prefetch`) so the server answers the next one while Python maps this one. What
the fields mean is still only the data's (catalog.json); this module only makes it fast.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import Any

from engine.flo.catalog import (
    NORMALIZERS,
    FieldSpec,
    QuerySpec,
    Records,
    _as_bool,
    _as_int,
    _as_text,
    _normalizer,
)


def map_rows(
    spec: QuerySpec,
    columns: list[str],
    rows: list[tuple],
    dialect: str,
    context: dict[str, str],
    out: Records,
    normaliser: Any = None,
) -> None:
    """Group one query's rows into records. The record builders are specialised to the
    result's column positions once (`_builder`), so the per-row work is one dict display
    per record (240,000 values for a 1,000-table schema). With a `normaliser`
    (`engine.flo.normaliser`), parsed fragments of non-key fields are left as placeholders
    for it, and what this query asked for is sent to it at the end."""
    index = {name: i for i, name in enumerate(columns)}  # a repeated name: the last, as dict(zip())
    deferred: list[str] = []  # fields left as placeholders for the normaliser
    build = _builder(spec.fields, index, dialect, context, normaliser=normaliser, out=deferred)
    key_of = _builder({k: spec.fields[k] for k in spec.key}, index, dialect, context, tuple)
    kind_of = spec.record_from.reader(index, dialect, context) if spec.record_from else None
    collects = []
    deferred_items: list[tuple[str, tuple[str, ...]]] = []
    for name, cs in spec.collect.items():
        when = [(index.get(col), want) for col, want in cs.when.items()]
        if cs.fields is not None:
            item_deferred: list[str] = []
            sub = _builder(cs.fields, index, dialect, context, normaliser=normaliser,
                           out=item_deferred)  # fmt: skip
            if item_deferred:
                deferred_items.append((name, tuple(item_deferred)))
            collects.append((name, when, sub, None))
        else:
            collects.append((name, when, None, cs.value.reader(index, dialect, context)))
    static = out.setdefault(spec.record, {}) if spec.record else None
    for row in rows:
        if static is None:
            kind = kind_of(row)
            if kind is None:
                continue
            groups = out.setdefault(kind, {})
        else:
            groups = static
        key = key_of(row)
        group = groups.get(key)
        if group is None:
            group = groups[key] = build(row)
            for name in spec.collect:
                group[name] = []
        for name, when, sub, value in collects:
            if when and not _wanted(row, when):
                continue
            if sub is not None:
                group[name].append(sub(row))
            else:
                item = value(row)
                if item is not None:
                    group[name].append(item)
    if normaliser is not None:
        if deferred or deferred_items:
            kinds = [spec.record] if spec.record else list(out)
            normaliser.note(kinds, tuple(deferred), tuple(deferred_items))
        normaliser.push()


def _builder(
    fields: dict[str, FieldSpec],
    index: dict[str, int],
    dialect: str,
    context: dict[str, str],
    shape: type = dict,
    normaliser: Any = None,
    out: list[str] | None = None,
):
    """A generated `row -> dict` (or tuple) of `fields`: plain columns are read inline,
    the rest through their FieldSpec.reader. Generated because it is the inner loop.
    A `normaliser` takes the plain fragment fields it defers (never keys: no tuples);
    their names are added to `out`."""
    scope: dict[str, Any] = {"_text": _as_text, "_strip": _strip_text, "D": dialect}
    scope.update(_bool=_as_bool, _int=_as_int)
    exprs = []
    for n, (name, fs) in enumerate(fields.items()):
        pos = index.get(fs.column) if fs.column is not None else None
        plain = fs.split is None and fs.map is None and not fs.replace and fs.conv != "list"
        v = f"row[{pos}]"
        if pos is None or not plain:
            # a mapped or rewritten fragment (not a list: its items are filtered on the
            # answer) may still be parsed by the normaliser
            deferred = (
                normaliser is not None
                and pos is not None
                and fs.split is None
                and fs.conv in NORMALIZERS
                and normaliser.defers(fs.conv)
            )
            late = normaliser.function(fs.conv) if deferred else None
            scope[f"f{n}"] = fs.reader(index, dialect, context, norm=late)
            if deferred and out is not None:
                out.append(name)
            expr = f"f{n}(row)"
        elif fs.conv == "raw":
            expr = v
        elif fs.conv == "bool":  # _as_bool / _as_int keep None
            expr = f"({v} if {v}.__class__ is bool else _bool({v}))"
        elif fs.conv == "int":
            expr = f"({v} if {v}.__class__ is int else _int({v}))"
        elif fs.conv == "text" and fs.strip:
            expr = (
                f"({v}.strip() if {v}.__class__ is str else None if {v} is None else _strip({v}))"
            )
        elif fs.conv in NORMALIZERS:
            deferred = normaliser is not None and normaliser.defers(fs.conv)
            scope[f"n{n}"] = normaliser.function(fs.conv) if deferred else _normalizer(fs.conv)
            if deferred and out is not None:
                out.append(name)
            text = f"({v} if {v}.__class__ is str else _text({v}))"
            text = f"{text}.strip()" if fs.strip else text
            expr = f"(None if {v} is None else n{n}(D, {text}))"
        else:
            scope[f"f{n}"] = fs.reader(index, dialect, context)
            expr = f"f{n}(row)"
        exprs.append((name, expr))
    if shape is tuple:
        body = "(" + "".join(f"{e}, " for _, e in exprs) + ")"
    else:
        body = "{" + ", ".join(f"{name!r}: {e}" for name, e in exprs) + "}"
    exec(compile(f"def build(row):\n    return {body}\n", "<catalog row builder>", "exec"), scope)
    return scope["build"]


def _strip_text(value: Any) -> str | None:
    text = _as_text(value)
    return None if text is None else text.strip()


def _wanted(row: tuple, when: list[tuple[int | None, Any]]) -> bool:
    """CollectSpec.wants on a raw row (booleans compare by truth)."""
    for pos, want in when:
        got = None if pos is None else row[pos]
        if got != want and (not isinstance(want, bool) or _as_bool(got) != want):
            return False
    return True


class Prefetch:
    """Run the queries one after another on a worker thread while the caller maps the
    results already in: the server works on query N+1 (and the socket wait releases the
    GIL) while Python turns query N's rows into records. The session is used by the worker
    alone until the context exits, which waits for it; a failure on either side stops the
    other (a failing caller cancels the query in flight) and is raised in the caller."""

    def __init__(self, session: Any, sqls: list[str | None]) -> None:
        self._session = session
        self._sqls = sqls
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="flo-catalog", daemon=True)

    def _work(self) -> None:
        try:
            for sql in self._sqls:
                if self._stop.is_set():
                    return
                self._queue.put((True, None if sql is None else self._session.query(sql)))
        except BaseException as exc:  # handed to the caller, raised there
            self._queue.put((False, exc))

    def __enter__(self):
        self._thread.start()
        return self._results()

    def _results(self):
        for _ in self._sqls:
            ok, value = self._queue.get()
            if not ok:
                raise value
            yield value

    def __exit__(self, exc_type: Any, *exc: object) -> None:
        self._stop.set()
        if exc_type is not None and self._thread.is_alive():
            # the caller failed or was interrupted: stop the query in flight rather than
            # wait for it (cancel is thread-safe and a no-op when nothing runs)
            with contextlib.suppress(Exception):
                self._session.cancel()
        self._thread.join()

"""What a query returns: `Result` (columns, rows, rowcount, every statement's result) and
the collector that builds it from the core's events.

Shared by the wire sessions (sync and async) and the in-process backends, so every family
hands callers the same shapes. A column reads as a plain `(name, type_name)` pair -- easy to
compare and print -- and still carries the core's full `Column` (type code, metadata).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.wirevm.events import Column, Columns, Notice, ResultDone, Rows


class ColumnInfo(tuple):
    """`(name, type_name)` with attributes: `.name`, `.type_name`, `.type_code`, `.meta`
    and `.column` (the `engine.wirevm.events.Column`)."""

    def __new__(cls, column: Column) -> ColumnInfo:
        self = tuple.__new__(cls, (column.name, column.type_name))
        self.column = column
        return self

    @property
    def name(self) -> str:
        return self[0]

    @property
    def type_name(self) -> str:
        return self[1]

    @property
    def type_code(self) -> int:
        return self.column.type_code

    @property
    def meta(self) -> dict[str, Any]:
        return self.column.meta

    def __repr__(self) -> str:
        return f"ColumnInfo{tuple(self)!r}"


def column_infos(columns: Iterable[Column]) -> list[ColumnInfo]:
    return [ColumnInfo(c) for c in columns]


@dataclass(eq=False)
class Result:
    """One statement's result. For a multi-statement query the session returns the LAST
    statement's Result, whose `results` lists all of them in order (itself included)."""

    columns: list[ColumnInfo] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    rowcount: int = -1
    last_insert_id: int | None = None
    warnings: int = 0
    command_tag: str | None = None
    results: list[Result] = field(default_factory=list, repr=False)
    notices: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def column_names(self) -> list[str]:
        return [c[0] for c in self.columns]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def scalar(self) -> Any:
        """The first column of the first row, or None when there is no row."""
        return self.rows[0][0] if self.rows and self.rows[0] else None


class Collector:
    """Feeds on events, builds Results."""

    __slots__ = ("columns", "notices", "results", "rows")

    def __init__(self) -> None:
        self.results: list[Result] = []
        self.columns: list[ColumnInfo] = []
        self.rows: list[tuple] = []
        self.notices: list[dict[str, Any]] = []

    def feed(self, event: Any) -> None:
        kind = type(event)
        if kind is Rows:
            self.rows.extend(event.rows)
        elif kind is Columns:
            self.columns = column_infos(event.columns)
            self.rows = []
        elif kind is ResultDone:
            self.add(self.columns, self.rows, event)
            self.columns, self.rows = [], []
        elif kind is Notice:
            self.notices.append(dict(event.fields))

    def add(self, columns: list[ColumnInfo], rows: list[tuple], done: ResultDone) -> None:
        rowcount = done.rowcount
        if rowcount is None or (rowcount < 0 and columns):
            rowcount = len(rows)
        self.results.append(
            Result(
                columns=columns,
                rows=rows,
                rowcount=rowcount,
                last_insert_id=done.last_insert_id,
                warnings=done.warnings,
                command_tag=done.command_tag,
            )
        )

    def result(self) -> Result:
        if not self.results:
            self.results.append(Result(rowcount=0))
        last = self.results[-1]
        last.results = list(self.results)
        last.notices = self.notices
        return last

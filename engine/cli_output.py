"""How `sqlx` prints: aligned tables for people, canonical JSON for machines, and a
progress bar that appears only on a terminal.

Why separate from engine/cli.py: the commands decide *what* to say; this module decides how
it looks, so every command's table has the same shape and `--json` output is the same
canonical form everywhere (sorted keys, two-space indent, UTF-8).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

CELL_WIDTH = 72


def dumps_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def cell(value: Any, width: int = CELL_WIDTH) -> str:
    """One table cell: yes/no for booleans, '?' for undecided, lists joined, one line."""
    if value is True:
        text = "yes"
    elif value is False:
        text = "no"
    elif value is None:
        text = "?"
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value) or "-"
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A left-aligned text table with a header rule; cells go through `cell()`."""
    texts = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in texts:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in texts:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    return "\n".join(lines)


def key_values(pairs: Sequence[tuple[str, Any]]) -> str:
    """`label  value` lines with the labels aligned (the summary above a table)."""
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}  {cell(v, 200)}" for k, v in pairs)


def evidence_summary(capability: Any) -> str:
    """One line saying why: the probe's own statement (not the transaction and timeout
    around it) and its answer or error, or the version / documented fact and its note."""
    ev = capability.evidence
    if ev.method == "fact":
        return f"fact: {ev.note}" if ev.note else "fact"
    if ev.method == "version_at_least":
        answer = ev.answer or {}
        have = ".".join(str(p) for p in answer.get("version_tuple") or ()) or "?"
        text = f"version {have} >= {answer.get('at_least')}: {cell(answer.get('result'))}"
        return text + (f"; {ev.note}" if ev.note else "")
    statement = ev.statement if ev.statement is not None else ev.query
    if isinstance(statement, tuple | list):  # the last statement is the decisive one
        statement = ("...; " if len(statement) > 1 else "") + str(statement[-1])
    if ev.error is not None:
        tag = ev.error.get("sqlstate") or ev.error.get("code")
        outcome = f"error {tag}: " if tag else "error: "
        outcome += str(ev.error.get("message", ""))
    elif ev.method == "each":
        outcome = "accepted: " + cell(capability.supported)
    elif isinstance(ev.answer, dict | list):
        outcome = "answered"
    else:
        outcome = f"-> {cell(ev.answer, 40)}"
    return f"{outcome} <- {statement}"


class Progress:
    """`[#####.....] 3/10 name` on stderr, redrawn in place -- only when stderr is a
    terminal (a pipe or a CI log gets nothing, so output stays clean)."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None) -> None:
        self.total = max(total, 0)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)()) and total > 1
        self.done = 0
        self.started = time.monotonic()

    def __enter__(self) -> Progress:
        self.draw("")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def advance(self, name: str = "") -> None:
        self.done += 1
        self.draw(name)

    def draw(self, name: str, width: int = 30) -> None:
        if not self.enabled:
            return
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.monotonic() - self.started
        line = f"{self.label} [{bar}] {self.done}/{self.total} {elapsed:5.1f}s {name}"
        self.stream.write("\r\x1b[K" + line[:120])
        self.stream.flush()

"""The before/after DDL diff of a plan, computed on the server from its two snapshots.

Both snapshots are rendered with `engine.ir.render_ddl` (CREATE statements in dependency
order, the same text for the same schema), so the diff shows what the schema becomes,
independent of how the plan gets there. A unified diff with a few lines of context keeps
the page small on a 1,000-table database: unchanged tables collapse away.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.core.cache import cache

from apps.connections.models import Snapshot
from engine import ir

CACHE_SECONDS = 7 * 24 * 3600
CONTEXT_LINES = 3
#: first character of a unified-diff line -> CSS class
KINDS = {"+": "add", "-": "del", "@": "hunk", " ": "same"}


@dataclass(frozen=True)
class DiffLine:
    kind: str
    text: str


def ddl_statements(snapshot) -> list[str]:
    """The CREATE statements of a stored Snapshot row, each ending in `;` (none for none)."""
    if snapshot is None:
        return []
    return [f"{statement};" for statement in ir.render_ddl(snapshot.ir())]


def ddl_lines(snapshot) -> list[str]:
    """The DDL of a stored Snapshot row, one list item per line."""
    return [line for statement in ddl_statements(snapshot) for line in statement.splitlines()]


def ddl_diff(before_id: int | None, after_id: int | None) -> list[DiffLine]:
    """Coloured lines of the unified diff of two stored snapshots (file headers dropped);
    empty when equal. Snapshot rows never change, so the result is cached by their ids:
    rendering two 1,000-table schemas takes seconds, a page view must not."""
    key = f"plans:ddl-diff:{before_id}:{after_id}"
    cached = cache.get(key)
    if cached is not None:
        return [DiffLine(kind, text) for kind, text in cached]
    before, after = (
        Snapshot.objects.filter(pk=i).first() if i else None for i in (before_id, after_id)
    )
    diff = difflib.unified_diff(ddl_lines(before), ddl_lines(after), lineterm="", n=CONTEXT_LINES)
    out = []
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        out.append(DiffLine(KINDS.get(line[:1], "same"), line))
    cache.set(key, [(d.kind, d.text) for d in out], CACHE_SECONDS)
    return out

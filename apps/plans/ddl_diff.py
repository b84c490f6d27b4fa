"""The before/after DDL diff of a plan, computed on the server from its two snapshots.

Both snapshots are rendered with `engine.ir.render_ddl` (CREATE statements in dependency
order, the same text for the same schema), so the diff shows what the schema becomes,
independent of how the plan gets there. A unified diff with a few lines of context keeps
the page small on a 1,000-table database: unchanged tables collapse away.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from engine import ir

CONTEXT_LINES = 3
#: first character of a unified-diff line -> CSS class
KINDS = {"+": "add", "-": "del", "@": "hunk", " ": "same"}


@dataclass(frozen=True)
class DiffLine:
    kind: str
    text: str


def ddl_lines(snapshot_json: str) -> list[str]:
    if not snapshot_json:
        return []
    lines: list[str] = []
    for statement in ir.render_ddl(ir.loads(snapshot_json, trusted=True)):
        lines.extend(f"{statement};".splitlines())
    return lines


def ddl_diff(before_json: str, after_json: str) -> list[DiffLine]:
    """Coloured lines of the unified diff (file headers dropped); empty when equal."""
    diff = difflib.unified_diff(
        ddl_lines(before_json), ddl_lines(after_json), lineterm="", n=CONTEXT_LINES
    )
    out = []
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        out.append(DiffLine(KINDS.get(line[:1], "same"), line))
    return out

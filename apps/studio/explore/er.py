"""The ER diagram as SVG text, drawn on the server (no JavaScript library).

Two layouts, both plain arithmetic: a grid for a page of a database's tables, and three
layers for one table's neighbourhood (the tables it references on the left, itself in the
middle, the tables that reference it on the right). Each box is a table: its name (a link
to the table page) and its columns with PK/FK marks; each foreign key is a line from the
referencing column to the referenced table. Text is measured by character count in a
monospace font, which is close enough for boxes and never needs a browser.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from engine import ir

CHAR_W = 7.2  # px per character of 12px monospace
ROW_H = 18
HEAD_H = 24
PAD = 10
GAP_X = 60
GAP_Y = 40
MAX_COLUMNS = 12  # columns drawn per box; the rest are summarised
GRID_WIDTH = 5  # boxes per row in the database layout
MIN_BOX_W = 120


@dataclass
class Box:
    table: ir.Table
    lines: list[tuple[str, str]]  # (mark, text) per row under the title
    x: float = 0.0
    y: float = 0.0

    @property
    def title(self) -> str:
        t = self.table
        return f"{t.schema}.{t.name}" if t.schema else t.name

    @property
    def width(self) -> float:
        longest = max([len(self.title)] + [len(m) + len(s) + 1 for m, s in self.lines])
        return max(MIN_BOX_W, longest * CHAR_W + 2 * PAD)

    @property
    def height(self) -> float:
        return HEAD_H + ROW_H * len(self.lines) + PAD / 2

    def row_y(self, column: str) -> float:
        """Where a line to or from `column` meets the box (the title row if not drawn)."""
        for i, (_, text) in enumerate(self.lines):
            if text.split(" ", 1)[0] == column:
                return self.y + HEAD_H + ROW_H * i + ROW_H / 2
        return self.y + HEAD_H / 2


def _box(table: ir.Table) -> Box:
    pk = set(table.primary_key.columns) if table.primary_key else set()
    fk = {c for key in table.foreign_keys for c in key.columns}
    lines = []
    for column in table.columns[:MAX_COLUMNS]:
        mark = " ".join(m for m, on in (("PK", column.name in pk), ("FK", column.name in fk)) if on)
        lines.append((mark, f"{column.name} {column.type}"))
    hidden = len(table.columns) - MAX_COLUMNS
    if hidden > 0:
        lines.append(("", f"… {hidden} more columns"))
    return Box(table, lines)


def _grid(boxes: list[Box]) -> None:
    per_row = min(GRID_WIDTH, max(1, math.ceil(math.sqrt(len(boxes)))))
    widths = [0.0] * per_row
    for i, b in enumerate(boxes):
        widths[i % per_row] = max(widths[i % per_row], b.width)
    y = PAD
    for start in range(0, len(boxes), per_row):
        row = boxes[start : start + per_row]
        x = PAD
        for col, b in enumerate(row):
            b.x, b.y = x, y
            x += widths[col] + GAP_X
        y += max(b.height for b in row) + GAP_Y


def _layers(layers: Sequence[list[Box]]) -> None:
    x = PAD
    for layer in layers:
        y = PAD
        for b in layer:
            b.x, b.y = x, y
            y += b.height + GAP_Y
        x += max((b.width for b in layer), default=0) + GAP_X


def _edge(src: Box, column: str, dst: Box, ref_column: str) -> str:
    """An elbow from the referencing column's row to the referenced column's row."""
    y1, y2 = src.row_y(column), dst.row_y(ref_column)
    if src is dst:  # a self reference: a loop on the right side
        x = src.x + src.width
        return f"M{x:.0f},{y1:.0f} h20 V{y2:.0f} h-20"
    if src.x + src.width <= dst.x:
        x1, x2 = src.x + src.width, dst.x
    elif dst.x + dst.width <= src.x:
        x1, x2 = src.x, dst.x + dst.width
    else:  # same grid column: leave from and arrive at the left sides
        x1 = x2 = min(src.x, dst.x)
        return f"M{x1:.0f},{y1:.0f} h-16 V{y2:.0f} h16"
    mid = (x1 + x2) / 2
    return f"M{x1:.0f},{y1:.0f} H{mid:.0f} V{y2:.0f} H{x2:.0f}"


def _draw(boxes: list[Box], link: Callable[[ir.Table], str] | None, focus) -> str:
    by_key = {b.table.key: b for b in boxes}
    width = max((b.x + b.width for b in boxes), default=0) + PAD + 20
    height = max((b.y + b.height for b in boxes), default=0) + PAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="er" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        'font-family="ui-monospace, Menlo, monospace" font-size="12" role="img">',
        "<title>ER diagram</title>",
        '<defs><marker id="er-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#7c8db5"/></marker>'
        "</defs>",
    ]
    for b in boxes:
        for fk in b.table.foreign_keys:
            target = by_key.get((fk.ref_schema, fk.ref_table))
            if target is None:
                continue
            path = _edge(b, fk.columns[0], target, (fk.ref_columns or ("",))[0])
            out.append(
                f'<path class="fk" d="{path}" fill="none" stroke="#7c8db5" stroke-width="1.4" '
                'marker-end="url(#er-arrow)">'
                f"<title>{escape(fk.name or 'foreign key')}</title></path>"
            )
    for b in boxes:
        css = "table focus" if focus is not None and b.table.key == focus else "table"
        out.append(f'<g class="{css}" data-table={quoteattr(b.title)}>')
        fill = "#e7ecff" if "focus" in css else "#f3f5fb"
        out.append(
            f'<rect x="{b.x:.0f}" y="{b.y:.0f}" width="{b.width:.0f}" height="{b.height:.0f}" '
            'rx="6" fill="#fff" stroke="#3b5bdb"/>'
            f'<rect x="{b.x:.0f}" y="{b.y:.0f}" width="{b.width:.0f}" height="{HEAD_H}" '
            f'rx="6" fill="{fill}" stroke="#3b5bdb"/>'
        )
        title = (
            f'<text x="{b.x + PAD:.0f}" y="{b.y + 16:.0f}" font-weight="bold">'
            f"{escape(b.title)}</text>"
        )
        out.append(f"<a href={quoteattr(link(b.table))}>{title}</a>" if link else title)
        for i, (mark, text) in enumerate(b.lines):
            y = b.y + HEAD_H + ROW_H * i + 13
            prefix = f'<tspan fill="#c92a2a">{mark}</tspan> ' if mark else ""
            out.append(f'<text x="{b.x + PAD:.0f}" y="{y:.0f}">{prefix}{escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def database_svg(tables: Sequence[ir.Table], link=None) -> str:
    """A grid of the given tables (the caller pages or caps them)."""
    boxes = [_box(t) for t in tables]
    _grid(boxes)
    return _draw(boxes, link, None)


def neighbourhood_svg(
    table: ir.Table, parents: Sequence[ir.Table], children: Sequence[ir.Table], link=None
) -> str:
    """`table` between the tables it references (left) and those referencing it (right);
    a table on both sides is drawn once, on the left."""
    left = [_box(t) for t in parents if t.key != table.key]
    seen = {b.table.key for b in left} | {table.key}
    right = [_box(t) for t in children if t.key not in seen]
    centre = [_box(table)]
    _layers([layer for layer in (left, centre, right) if layer])
    return _draw(left + centre + right, link, table.key)

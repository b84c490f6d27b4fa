"""Rename hints written into desired-state SQL, so a rename is declared where it is made.

A diff tool cannot tell a rename from a drop + add (both end in the same schema), and
guessing loses data when it guesses wrong, so the planner never guesses: renames are
declared, either in the request (`PlanContext.renames`) or as annotation comments in the
desired-state .sql file, read here. The syntax (also in docs/planner-renames.md):

    -- sqlx:rename-from old_orders
    CREATE TABLE orders (
      id integer PRIMARY KEY,
      note text,            -- sqlx:rename-from remark
      "Total" numeric       -- sqlx:rename-from "Amount"
    );

    -- sqlx:rename-from orders_by_status
    CREATE INDEX orders_status_idx ON orders (status);

    ALTER TABLE orders ADD CONSTRAINT orders_total_ck CHECK ("Total" >= 0); -- sqlx:rename-from ck1

- On its own line, immediately before a `CREATE TABLE`, `CREATE [UNIQUE] INDEX`, `CREATE
  [MATERIALIZED] VIEW` (blank lines and other comments may sit between): that object was
  called `old` before. The old name is in the new object's schema (renames never move an
  object between schemas); it may be written schema-qualified, the schema part is ignored.
- At the end of a column's line inside CREATE TABLE: that column was called `old`.
  The column's table is the table being created (its new name).
- At the end of a line inside CREATE TABLE that starts with `CONSTRAINT new_name`: that
  constraint (primary key, unique, check, foreign key) was called `old`. A hint ending a
  column line stays a column rename, even when the line holds a column constraint.
- At the end of the line of an `ALTER TABLE t ... ADD CONSTRAINT new_name`, or on its own
  line before the ALTER TABLE (or before the ADD CONSTRAINT line of a multi-line one, as
  pg_dump writes them): constraint `new_name` of table `t` was called `old`.
- Names follow the dialect's quoting and folding rules ("Amount" keeps its case; on
  PostgreSQL an unquoted Amount means amount).
"""

from __future__ import annotations

import re

from engine.ir.dialects import dialect_data
from engine.ir.normalize import normalize_identifier
from engine.planner.model import Rename

__all__ = ["HINT", "renames_from_sql"]

HINT = "-- sqlx:rename-from {old}"

_NAME = r'(?:"[^"]+"|`[^`]+`|\[[^\]]+\]|[\w$]+)'
_QNAME = rf"({_NAME}(?:\s*\.\s*{_NAME})*)"
_HINT = re.compile(rf"--\s*sqlx:rename-from\s+{_QNAME}", re.IGNORECASE)
_CREATE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+|UNLOGGED\s+)?"
    r"(UNIQUE\s+INDEX|INDEX|MATERIALIZED\s+VIEW|VIEW|TABLE)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"{_QNAME}",
    re.IGNORECASE,
)
_COLUMN = re.compile(rf"^\s*{_QNAME}")
_CONSTRAINT = re.compile(rf"^\s*CONSTRAINT\s+{_QNAME}", re.IGNORECASE)
_ALTER = re.compile(rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{_QNAME}", re.IGNORECASE)
_ADD_CONSTRAINT = re.compile(rf"\bADD\s+CONSTRAINT\s+{_QNAME}", re.IGNORECASE)
_KIND = {"table": "table", "index": "index", "view": "view"}


def _split(dialect: str, qname: str) -> list[str]:
    parts = re.findall(_NAME, qname)
    out = []
    for p in parts:
        quoted = p[0] in '"`['
        out.append(normalize_identifier(dialect, p[1:-1] if quoted else p, quoted=quoted))
    return out


def renames_from_sql(text: str, dialect: str) -> tuple[Rename, ...]:
    """Renames declared by `-- sqlx:rename-from` comments in `text` (see module doc)."""
    default_schema = dialect_data(dialect).default_schema

    def where(qname: str) -> tuple[str, str]:
        names = _split(dialect, qname)
        return (names[-2] if len(names) > 1 else default_schema), names[-1]

    out: list[Rename] = []
    pending: str | None = None
    table: tuple[str, str] | None = None  # the CREATE TABLE being read
    altered: tuple[str, str] | None = None  # the ALTER TABLE statement being read
    depth = 0
    for line in text.splitlines():
        stripped = line.strip()
        hint = _HINT.search(line)
        if hint and stripped.startswith("--"):  # a hint on its own line
            pending = _split(dialect, hint.group(1))[-1]
            continue
        if not stripped or stripped.startswith("--"):
            continue
        old = _split(dialect, hint.group(1))[-1] if hint else None
        code = line.split("--", 1)[0]
        create = _CREATE.match(line)
        if create:
            kind = create.group(1).split()[-1].lower()
            schema, name = where(create.group(2))
            if pending is not None:
                out.append(Rename(_KIND[kind], schema, pending, name))
            pending, altered = None, None
            if kind == "table":
                table, depth = (schema, name), 0
                code = line[create.end() :]
                depth += code.count("(") - code.count(")")
                if depth <= 0 and "(" in code:
                    table = None
            continue
        alter = _ALTER.match(code) if table is None else None
        if alter:
            altered = where(alter.group(1))
        if altered is not None:
            add = _ADD_CONSTRAINT.search(code)
            if add and (old or pending):
                new = _split(dialect, add.group(1))[-1]
                out.append(Rename("constraint", altered[0], old or pending, new, table=altered[1]))
            if add or not alter or ";" in code:
                pending = None  # a hint before an ALTER TABLE waits for its ADD CONSTRAINT
            if ";" in code:
                altered = None
            continue
        pending = None
        if table is None:
            continue
        if old and depth == 1:
            constraint = _CONSTRAINT.match(code)
            column = _COLUMN.match(code)
            if constraint:
                new = _split(dialect, constraint.group(1))[-1]
                out.append(Rename("constraint", table[0], old, new, table=table[1]))
            elif column:
                new = _split(dialect, column.group(1))[-1]
                out.append(Rename("column", table[0], old, new, table=table[1]))
        depth += code.count("(") - code.count(")")
        if depth <= 0:
            table = None
    return tuple(out)

"""The table grammar of desired-state DDL: column definitions, table constraints, MySQL
inline indexes, index key parts, and the names servers give what the DDL left unnamed.

A `TableDraft` collects a table while statements arrive (CREATE TABLE, then ALTER TABLE
ADD CONSTRAINT, CREATE INDEX, COMMENT ON ... in any order) and becomes a frozen
`model.Table` at the end. Every family difference is read from the dialect's ir.json:
which constraint forms are indexes, the naming templates (`auto_names`), whether a
PRIMARY KEY implies NOT NULL.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from engine.ir import model
from engine.ir.dialects import DialectData
from engine.ir.normalize import (
    normalize_default,
    normalize_expr,
    normalize_identifier,
    normalize_type,
)
from engine.ir.sqltokens import Cursor

# Words that end a column's type (and a DEFAULT expression) at parenthesis depth 0.
_COLUMN_STOP = {
    "CONSTRAINT", "NOT", "NULL", "DEFAULT", "PRIMARY", "UNIQUE", "CHECK", "REFERENCES",
    "GENERATED", "AS", "AUTO_INCREMENT", "AUTOINCREMENT", "COLLATE", "COMMENT", "ON",
    "VIRTUAL", "STORED", "PERSISTENT", "INVISIBLE", "VISIBLE", "KEY", "CHARSET",
}  # fmt: skip
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_NAMEISH = (TokenType.VAR, TokenType.IDENTIFIER, TokenType.R_PAREN)
_ACTIONS = ("CASCADE", "RESTRICT", "SET NULL", "SET DEFAULT", "NO ACTION")


@dataclass
class TableDraft:
    schema: str
    name: str
    columns: list[model.Column] = field(default_factory=list)
    primary_key: model.PrimaryKey | None = None
    uniques: list[model.UniqueConstraint] = field(default_factory=list)
    foreign_keys: list[model.ForeignKey] = field(default_factory=list)
    checks: list[model.Check] = field(default_factory=list)
    indexes: list[model.Index] = field(default_factory=list)
    partitioning: model.Partitioning | None = None
    comment: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    #: columns declared with a serial pseudo type (expanded when the table is finished)
    serials: list[str] = field(default_factory=list)

    def column_index(self, name: str) -> int | None:
        return next((i for i, c in enumerate(self.columns) if c.name == name), None)

    def update_column(self, name: str, **changes) -> bool:
        i = self.column_index(name)
        if i is None:
            return False
        self.columns[i] = dataclasses.replace(self.columns[i], **changes)
        return True

    def used_names(self) -> set[str]:
        names = {u.name for u in self.uniques} | {f.name for f in self.foreign_keys}
        names |= {c.name for c in self.checks} | {i.name for i in self.indexes}
        if self.primary_key and self.primary_key.name:
            names.add(self.primary_key.name)
        return names


class TableGrammar:
    """Parses table elements for one dialect into a TableDraft."""

    def __init__(self, data: DialectData) -> None:
        self.data = data
        self.dialect = data.dialect
        self.names = data.get("auto_names", {})

    # -- names --------------------------------------------------------------------------
    def ident(self, cur: Cursor) -> str:
        text, quoted = cur.name_token()
        return normalize_identifier(self.dialect, text, quoted=quoted)

    def ident_list(self, cur: Cursor) -> tuple[str, ...]:
        a, b = cur.group()
        return tuple(self.ident(cur.sub(x, y)) for x, y in cur.split_commas(a, b))

    def auto_name(self, t: TableDraft, kind: str, columns=(), column: str = "") -> str | None:
        template = self.names.get(kind)
        if template is None:
            return None
        if template == "":
            return ""
        t.counters[kind] = t.counters.get(kind, 0) + 1
        base = template.format(
            table=t.name,
            columns="_".join(columns) or column,
            first_column=(columns[0] if columns else column),
            column=column or (columns[0] if columns else ""),
            counter=t.counters[kind],
        )
        limit = self.data.get("max_identifier_length", 0)
        if limit:
            base = base[:limit]
        used = t.used_names()
        name, n = base, self.names.get("dedupe_start", 1)
        while name in used:
            name = self.names.get("dedupe", "{name}{n}").format(name=base, n=n)
            n += 1
        return name

    # -- fragments ----------------------------------------------------------------------
    def expr_until(self, cur: Cursor, stops: set[str]) -> str:
        start = cur.i
        while not cur.at_end() and (cur.i == start or cur.head() not in stops):
            cur.skip_one()
        return cur.text(start, cur.i)

    def paren_expr(self, cur: Cursor) -> str:
        a, b = cur.group()
        return cur.text(a, b)

    def referenced_columns(self, t: TableDraft, sql: str) -> list[str]:
        try:
            tree = sqlglot.parse_one(sql, read=self.dialect)
        except Exception:
            return []
        known = {c.name.lower(): c.name for c in t.columns}
        found = {
            known[c.name.lower()] for c in tree.find_all(exp.Column) if c.name.lower() in known
        }
        return sorted(found)

    # -- foreign keys -------------------------------------------------------------------
    def references(self, t: TableDraft, cur: Cursor, name: str | None, columns) -> None:
        ref = [normalize_identifier(self.dialect, n, quoted=q) for n, q in cur.qualified()]
        ref_schema = ref[-2] if len(ref) > 1 and self.data.get("has_schemas") else t.schema
        if len(ref) == 1:
            ref_schema = t.schema
        ref_cols = self.ident_list(cur) if cur.at_paren() else ()
        action = self.data.get("foreign_key_default_action", "NO ACTION")
        fk = dict(on_delete=action, on_update=action, match="SIMPLE")
        deferrable = deferred = False
        while not cur.at_end():
            if cur.accept("ON", "DELETE") or cur.accept("ON", "UPDATE"):
                key = "on_delete" if cur.toks[cur.i - 1].text.upper() == "DELETE" else "on_update"
                fk[key] = next((a for a in _ACTIONS if cur.accept(*a.split())), None) or ""
                if not fk[key]:
                    raise cur.stmt.error("unknown referential action")
            elif cur.accept("MATCH"):
                fk["match"] = cur.next().text.upper()
            elif cur.accept("NOT", "DEFERRABLE"):
                deferrable = False
            elif cur.accept("DEFERRABLE"):
                deferrable = True
            elif cur.accept("INITIALLY", "DEFERRED"):
                deferred = True
            elif cur.accept("INITIALLY", "IMMEDIATE"):
                deferred = False
            else:
                break
        if not ref_cols:
            ref_cols = tuple(columns)  # REFERENCES t: the referenced table's primary key
        fk_name = name or self.auto_name(t, "foreign_key", columns)
        t.foreign_keys.append(
            model.ForeignKey(
                name=fk_name or "",
                columns=tuple(columns),
                ref_schema=ref_schema,
                ref_table=ref[-1],
                ref_columns=ref_cols,
                deferrable=deferrable,
                initially_deferred=deferred,
                **fk,
            )
        )

    # -- constraints --------------------------------------------------------------------
    def add_primary_key(self, t: TableDraft, name: str | None, columns) -> None:
        t.primary_key = model.PrimaryKey(
            name=name if name is not None else self.auto_name(t, "primary_key", columns),
            columns=tuple(columns),
        )

    def add_unique(self, t: TableDraft, name: str | None, columns, cur: Cursor | None) -> None:
        deferrable = deferred = False
        while cur is not None and not cur.at_end():
            if cur.accept("DEFERRABLE"):
                deferrable = True
            elif cur.accept("NOT", "DEFERRABLE"):
                deferrable = False
            elif cur.accept("INITIALLY", "DEFERRED"):
                deferred = True
            elif cur.accept("INITIALLY", "IMMEDIATE"):
                deferred = False
            elif cur.accept("USING", "INDEX", "TABLESPACE"):
                cur.next()
            else:
                break
        if self.data.get("unique_constraint_as_index"):
            parts = tuple(model.IndexPart(column=c) for c in columns)
            index_name = name or self.auto_name(t, "unique", columns) or ""
            t.indexes.append(model.Index(name=index_name, parts=parts, unique=True))
            return
        t.uniques.append(
            model.UniqueConstraint(
                name=name or self.auto_name(t, "unique", columns) or "",
                columns=tuple(columns),
                deferrable=deferrable,
                initially_deferred=deferred,
            )
        )

    def add_check(self, t: TableDraft, name: str | None, sql: str, column: str | None, cur):
        validated = not (cur is not None and cur.accept("NOT", "VALID"))
        if cur is not None:
            cur.accept("NO", "INHERIT")
        if not name:
            if column is not None:
                name = self.auto_name(t, "check_column", column=column)
            else:
                cols = self.referenced_columns(t, sql)
                single = len(cols) == 1 and self.data.get("table_check_names_single_column")
                name = (
                    self.auto_name(t, "check_column", column=cols[0])
                    if single
                    else self.auto_name(t, "check")
                )
        t.checks.append(
            model.Check(
                name=name or "", expression=normalize_expr(self.dialect, sql), validated=validated
            )
        )

    # -- index key parts ----------------------------------------------------------------
    def index_part(self, cur: Cursor) -> model.IndexPart:
        a, b = cur.i, cur.end
        toks = cur.toks
        descending, nulls, opclass, length = False, None, None, None
        while b - a >= 2 and toks[b - 2].text.upper() == "NULLS":
            nulls = toks[b - 1].text.lower()
            b -= 2
        if b - a >= 2 and toks[b - 1].text.upper() in ("ASC", "DESC"):
            descending = toks[b - 1].text.upper() == "DESC"
            b -= 1
        if (
            b - a >= 2
            and toks[b - 1].token_type not in (TokenType.IDENTIFIER, TokenType.R_PAREN)
            and _WORD.match(toks[b - 1].text)
            and (toks[b - 2].token_type in _NAMEISH or _WORD.match(toks[b - 2].text))
            and toks[b - 2].text.upper() not in ("COLLATE", "NOT", "AND", "OR", "IS")
        ):
            opclass = toks[b - 1].text.lower()
            b -= 1
        sub = cur.sub(a, b)
        if (
            b - a == 4
            and self.data.get("index_prefix_lengths")
            and toks[a + 1].token_type == TokenType.L_PAREN
            and toks[a + 2].token_type == TokenType.NUMBER
        ):
            length = int(toks[a + 2].text)
            b = a + 1
        if b - a == 1:
            column = self.ident(cur.sub(a, b))
            return model.IndexPart(
                column=column, descending=descending, nulls=nulls, length=length, opclass=opclass
            )
        text = sub.text(a, b)
        if toks[a].token_type == TokenType.L_PAREN and toks[b - 1].token_type == TokenType.R_PAREN:
            inner = cur.sub(a, b)
            x, y = inner.group()
            if y == b - 1:
                text = inner.text(x, y)
        return model.IndexPart(
            expression=normalize_expr(self.dialect, text),
            descending=descending,
            nulls=nulls,
            opclass=opclass,
        )

    def index_parts(self, cur: Cursor) -> tuple[model.IndexPart, ...]:
        a, b = cur.group()
        return tuple(self.index_part(cur.sub(x, y)) for x, y in cur.split_commas(a, b))

    # -- column definitions -------------------------------------------------------------
    def column(self, t: TableDraft, cur: Cursor) -> None:
        name = self.ident(cur)
        type_start = cur.i
        while not cur.at_end() and (cur.i == type_start or cur.head() not in _COLUMN_STOP):
            if cur.at("CHARACTER", "SET") and cur.i > type_start:
                break
            cur.skip_one()
        raw_type = cur.text(type_start, cur.i)
        col = dict(name=name, raw_type=raw_type, nullable=True)
        serial = self.data.serial_types.get(raw_type.strip().lower())
        col["type"] = serial or normalize_type(self.dialect, raw_type)
        pending_name: str | None = None
        while not cur.at_end():
            if cur.accept("CONSTRAINT"):
                pending_name = self.ident(cur)
                continue
            if cur.accept("NOT", "NULL"):
                col["nullable"] = False
            elif cur.accept("NULL"):
                col["nullable"] = True
            elif cur.accept("DEFAULT"):
                col["default"] = normalize_default(self.dialect, self.expr_until(cur, _COLUMN_STOP))
            elif cur.accept("PRIMARY", "KEY"):
                cur.accept("ASC") or cur.accept("DESC")
                self.add_primary_key(t, pending_name, (name,))
                if cur.accept("AUTOINCREMENT"):
                    col["identity"] = "auto_increment"
            elif cur.accept("UNIQUE"):
                cur.accept("KEY")
                self.add_unique(t, pending_name, (name,), cur)
            elif cur.accept("KEY"):
                self.add_primary_key(t, pending_name, (name,))
            elif cur.accept("CHECK"):
                self.add_check(t, pending_name, self.paren_expr(cur), name, cur)
            elif cur.accept("REFERENCES"):
                self.references(t, cur, pending_name, (name,))
            elif cur.at("GENERATED", "ALWAYS", "AS", "IDENTITY") or cur.at(
                "GENERATED", "BY", "DEFAULT", "AS", "IDENTITY"
            ):
                col["identity"] = "always" if cur.accept("GENERATED", "ALWAYS") else "by default"
                cur.accept("GENERATED", "BY", "DEFAULT")
                cur.expect("AS", "IDENTITY")
                if cur.at_paren():
                    cur.group()  # sequence options of the identity: not kept
            elif cur.accept("GENERATED", "ALWAYS", "AS") or cur.accept("AS"):
                col["generated"] = normalize_expr(self.dialect, self.paren_expr(cur))
                col["generated_stored"] = bool(cur.accept("STORED") or cur.accept("PERSISTENT"))
                cur.accept("VIRTUAL")
            elif cur.accept("AUTO_INCREMENT") or cur.accept("AUTOINCREMENT"):
                col["identity"] = "auto_increment"
            elif cur.accept("COLLATE"):
                col["collation"] = cur.name_token()[0]
            elif cur.accept("COMMENT"):
                col["comment"] = cur.string()
            elif cur.accept("ON", "UPDATE"):
                col["on_update"] = normalize_expr(self.dialect, self.expr_until(cur, _COLUMN_STOP))
            elif cur.accept("CHARACTER", "SET") or cur.accept("CHARSET"):
                cur.next()  # the collation decides; a charset alone is the server's default
            elif cur.accept("INVISIBLE") or cur.accept("VISIBLE"):
                pass
            else:
                raise cur.stmt.error(f"unsupported column clause {cur.peek().text!r}")
            pending_name = None
        if col.get("default") is not None and self.data.get("decimal_defaults_padded"):
            col["default"] = pad_decimal_default(col["default"], col["type"])
        t.columns.append(model.Column(**col))
        if serial:
            t.serials.append(name)

    # -- table elements -----------------------------------------------------------------
    def element(self, t: TableDraft, cur: Cursor) -> None:
        """One comma-separated element of CREATE TABLE ( ... ) or ALTER TABLE ADD."""
        name = self.ident(cur) if cur.accept("CONSTRAINT") else None
        if cur.accept("PRIMARY", "KEY"):
            if not cur.at_paren():
                cur.skip_until("(")
            self.add_primary_key(t, name, self.ident_list(cur))
            if cur.accept("USING"):
                cur.next()
        elif cur.at("UNIQUE") and not cur.at("UNIQUE", "("):
            cur.expect("UNIQUE")
            cur.accept("KEY") or cur.accept("INDEX")
            if not cur.at_paren():
                name = self.ident(cur)
            parts = self.index_parts(cur)
            if self.data.get("unique_constraint_as_index"):
                index_name = name or self.auto_name(t, "unique", _part_names(parts)) or ""
                t.indexes.append(model.Index(name=index_name, parts=parts, unique=True))
            else:
                self.add_unique(t, name, _part_names(parts), cur)
        elif cur.accept("UNIQUE"):
            cols = self.ident_list(cur)
            self.add_unique(t, name, cols, cur)
        elif cur.accept("CHECK"):
            self.add_check(t, name, self.paren_expr(cur), None, cur)
        elif cur.accept("FOREIGN", "KEY"):
            fk_index = None if cur.at_paren() else self.ident(cur)
            cols = self.ident_list(cur)
            cur.expect("REFERENCES")
            self.references(t, cur, name or fk_index, cols)
        elif cur.head() in ("INDEX", "KEY", "FULLTEXT", "SPATIAL"):
            method = None
            if cur.head() in ("FULLTEXT", "SPATIAL"):
                method = cur.next().text.lower()
            cur.accept("INDEX") or cur.accept("KEY")
            index_name = None if cur.at_paren() or cur.at("USING") else self.ident(cur)
            if cur.accept("USING"):
                method = cur.next().text.lower()
            parts = self.index_parts(cur)
            comment = None
            while not cur.at_end():
                if cur.accept("USING"):
                    method = cur.next().text.lower()
                elif cur.accept("COMMENT"):
                    comment = cur.string()
                else:
                    cur.next()
            t.indexes.append(
                model.Index(
                    name=index_name or self.auto_name(t, "index", _part_names(parts)) or "",
                    parts=parts,
                    method=method or self.data.get("index_method_default", "btree"),
                    comment=comment,
                )
            )
        elif name is not None:
            raise cur.stmt.error(
                f"unsupported constraint {cur.peek().text if cur.peek() else ''!r}"
            )
        elif cur.head() in ("EXCLUDE", "LIKE", "PERIOD"):
            raise cur.stmt.error(f"unsupported table element {cur.word()}")
        else:
            self.column(t, cur)
        if not cur.at_end():
            raise cur.stmt.error(f"unexpected {cur.peek().text!r} in table element")


def _part_names(parts) -> tuple[str, ...]:
    return tuple(p.column or "expr" for p in parts)


def pad_decimal_default(default: str, type_text: str) -> str:
    """A numeric literal default written with its decimal column's scale (`0` -> `0.00`
    for decimal(12,2)): families that store defaults as text echo them so (ir.json
    `decimal_defaults_padded`), and desired-state DDL must hash like the live schema."""
    match = re.fullmatch(r"(?:decimal|numeric)\((\d+),(\d+)\)(?: unsigned)?", type_text)
    if not match or not re.fullmatch(r"-?\d+(\.\d+)?", default):
        return default
    scale = int(match[2])
    whole, _, frac = default.partition(".")
    if len(frac) > scale:
        return default
    return whole + ("." + frac.ljust(scale, "0") if scale else "")

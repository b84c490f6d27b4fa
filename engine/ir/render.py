"""Snapshot -> DDL: the CREATE statements that rebuild a schema in an empty database.

Statements come in dependency order: schemas, extensions, user types, sequences, tables
(columns, primary key, uniques and checks inline), partitions, indexes, foreign keys (as
ALTER TABLE after every table and index exists: a key may reference a table defined later
or a unique index), sequence ownership, views (a view reading another comes after it),
routines, triggers, comments. Where families spell a clause differently the choice is data
(`render` in the dialect's ir.json: inline or COMMENT ON comments, AUTO_INCREMENT or
PRIMARY KEY AUTOINCREMENT, where USING goes in CREATE INDEX, inline or ALTER foreign keys,
PARTITION OF or an inline partition list). Fragments are already canonical SQL of the
snapshot's dialect, so they are written as they are.

`parse_ddl(render_ddl(s))` gives `s` back (tests/ir/test_render.py), which is what lets
FLO's fidelity test run the output on a fresh database and compare hashes.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from engine.ir import model
from engine.ir.dialects import DialectData, dialect_data
from engine.ir.normalize import _needs_quotes

__all__ = ["render_ddl"]


#: defaults a family that wants expressions parenthesised still takes bare
_PLAIN_DEFAULT = re.compile(
    r"'(?:[^']|'')*'|[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[xX]'[0-9a-fA-F]*'"
    r"|NULL|TRUE|FALSE|(?:CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME)(?:\(\d*\))?",
    re.IGNORECASE,
)


class _Renderer:
    def __init__(self, snapshot: model.Snapshot) -> None:
        self.s = snapshot
        self.data: DialectData = dialect_data(snapshot.dialect)
        self.r = self.data.get("render", {})
        self.out: list[str] = []
        self.late: list[str] = []  # comments, NOT VALID checks

    # -- quoting --------------------------------------------------------------------
    def q(self, name: str) -> str:
        if not _needs_quotes(self.data.dialect, name, self.data.identifier_case):
            return name
        return exp.to_identifier(name, quoted=True).sql(dialect=self.data.dialect)

    def qn(self, schema: str, name: str) -> str:
        if self.r.get("schemas") and schema:
            return f"{self.q(schema)}.{self.q(name)}"
        return self.q(name)

    def cols(self, names) -> str:
        return ", ".join(self.q(n) for n in names)

    def default(self, text: str) -> str:
        """A default as the family accepts it: the IR keeps `datetime('now')` or `2 * 3`
        bare; SQLite and MariaDB take only literals and CURRENT_* bare and anything else in
        parentheses (`default_expression_parens`); the server reports it bare again."""
        if not self.r.get("default_expression_parens") or _PLAIN_DEFAULT.fullmatch(text):
            return text
        return f"({text})"

    def lit(self, text: str) -> str:
        return exp.Literal.string(text).sql(dialect=self.data.dialect)

    def comment(self, kind: str, target: str, text: str | None) -> None:
        if text is not None and self.r.get("comments") == "comment_on":
            self.late.append(f"COMMENT ON {kind} {target} IS {self.lit(text)}")

    # -- objects --------------------------------------------------------------------
    def render(self) -> list[str]:
        s = self.s
        for ns in s.namespaces:
            self.out.append(f"CREATE SCHEMA IF NOT EXISTS {self.q(ns.name)}")
            self.comment("SCHEMA", self.q(ns.name), ns.comment)
        for ext in s.extensions:
            sql = f"CREATE EXTENSION IF NOT EXISTS {self.q(ext.name)}"
            if ext.schema:
                sql += f" WITH SCHEMA {self.q(ext.schema)}"
            if ext.version:
                sql += f" VERSION {self.lit(ext.version)}"
            self.out.append(sql)
        for t in s.types:
            self.user_type(t)
        for seq in s.sequences:
            self.sequence(seq)
        for table in s.tables:
            self.table(table)
        for table in s.tables:
            self.partitions(table)
        for table in s.tables:
            for index in table.indexes:
                self.index(table.schema, table.name, index)
        for table in s.tables:
            if not self.r.get("foreign_keys_inline"):
                for fk in table.foreign_keys:
                    target = self.qn(table.schema, table.name)
                    self.out.append(f"ALTER TABLE {target} ADD {self.foreign_key(fk)}")
        for seq in s.sequences:
            if seq.owned_by:
                owner = ".".join(self.q(p) for p in seq.owned_by.split("."))
                if self.r.get("schemas") and seq.schema:
                    owner = f"{self.q(seq.schema)}.{owner}"
                self.out.append(f"ALTER SEQUENCE {self.qn(seq.schema, seq.name)} OWNED BY {owner}")
        for view in _view_order(s.views, s.dialect):
            self.view(view)
        for routine in s.routines:
            self.out.append(routine.definition)
            args = f"({routine.arguments})"
            self.comment(routine.kind.upper(), self.qn(routine.schema, routine.name) + args,
                         routine.comment)  # fmt: skip
        for trigger in s.triggers:
            self.out.append(trigger.definition)
        return self.out + self.late

    def user_type(self, t: model.UserType) -> None:
        name = self.qn(t.schema, t.name)
        if t.kind == "enum":
            labels = ", ".join(self.lit(label) for label in t.labels)
            self.out.append(f"CREATE TYPE {name} AS ENUM ({labels})")
        elif t.kind == "domain":
            self.out.append(f"CREATE DOMAIN {name} AS {t.definition}")
        elif t.kind == "range":
            self.out.append(f"CREATE TYPE {name} AS RANGE ({t.definition})")
        else:
            self.out.append(f"CREATE TYPE {name} AS ({t.definition})")
        self.comment("DOMAIN" if t.kind == "domain" else "TYPE", name, t.comment)

    def sequence(self, seq: model.Sequence) -> None:
        name = self.qn(seq.schema, seq.name)
        sql = f"CREATE SEQUENCE {name}"
        if self.r.get("sequence_as_type"):
            sql += f" AS {seq.data_type}"
        sql += f" INCREMENT BY {seq.increment}"
        if seq.min_value is not None:
            sql += f" MINVALUE {seq.min_value}"
        if seq.max_value is not None:
            sql += f" MAXVALUE {seq.max_value}"
        sql += f" START WITH {seq.start}"
        sql += f" CACHE {seq.cache}" if seq.cache else " NOCACHE"
        if seq.cycle:
            sql += " CYCLE"
        self.out.append(sql)
        self.comment("SEQUENCE", name, seq.comment)

    # -- tables ---------------------------------------------------------------------
    def column(self, table: model.Table, c: model.Column, inline_pk: set[str]) -> str:
        parts = [self.q(c.name), c.type]
        if c.collation:
            parts.append(f"COLLATE {self.q(c.collation)}")
        if c.generated is not None:
            kind = "STORED" if c.generated_stored else "VIRTUAL"
            parts.append(f"GENERATED ALWAYS AS ({c.generated}) {kind}")
        if c.identity in ("always", "by default"):
            parts.append(f"GENERATED {c.identity.upper()} AS IDENTITY")
        if not c.nullable:
            parts.append("NOT NULL")
        if c.default is not None:
            parts.append(f"DEFAULT {self.default(c.default)}")
        if c.on_update is not None:
            parts.append(f"ON UPDATE {c.on_update}")
        if c.identity == "auto_increment" and self.r.get("auto_increment"):
            parts.append(self.r["auto_increment"])
            if "PRIMARY KEY" in self.r["auto_increment"]:
                inline_pk.add(c.name)
        if c.comment is not None:
            if self.r.get("comments") == "inline":
                parts.append(f"COMMENT {self.lit(c.comment)}")
            self.comment("COLUMN", f"{self.qn(table.schema, table.name)}.{self.q(c.name)}",
                         c.comment)  # fmt: skip
        return " ".join(parts)

    def named(self, name: str | None, body: str) -> str:
        return f"CONSTRAINT {self.q(name)} {body}" if name else body

    def foreign_key(self, fk: model.ForeignKey) -> str:
        body = (
            f"FOREIGN KEY ({self.cols(fk.columns)}) REFERENCES "
            f"{self.qn(fk.ref_schema, fk.ref_table)} ({self.cols(fk.ref_columns)})"
        )
        if fk.match != "SIMPLE":
            body += f" MATCH {fk.match}"
        body += f" ON DELETE {fk.on_delete} ON UPDATE {fk.on_update}"
        if fk.deferrable:
            body += " DEFERRABLE"
            if fk.initially_deferred:
                body += " INITIALLY DEFERRED"
        return self.named(fk.name, body)

    def table(self, t: model.Table) -> None:
        name = self.qn(t.schema, t.name)
        inline_pk: set[str] = set()
        items = [self.column(t, c, inline_pk) for c in t.columns]
        pk = t.primary_key
        if pk and not (len(pk.columns) == 1 and pk.columns[0] in inline_pk):
            auto = self.data.get("auto_names", {}).get("primary_key")
            pk_name = None if pk.name == auto or "{" in str(pk.name) else pk.name
            items.append(self.named(pk_name, f"PRIMARY KEY ({self.cols(pk.columns)})"))
        for u in t.uniques:
            body = f"UNIQUE ({self.cols(u.columns)})"
            if u.deferrable:
                body += " DEFERRABLE" + (" INITIALLY DEFERRED" if u.initially_deferred else "")
            items.append(self.named(u.name, body))
        for ck in t.checks:
            body = f"CHECK ({ck.expression})"
            if not ck.validated and self.r.get("check_not_valid") == "alter":
                self.late.insert(0, f"ALTER TABLE {name} ADD {self.named(ck.name, body)} NOT VALID")
                continue
            items.append(self.named(ck.name, body))
        if self.r.get("foreign_keys_inline"):
            items += [self.foreign_key(fk) for fk in t.foreign_keys]
        sql = f"CREATE TABLE {name} (" + ", ".join(items) + ")"
        sql += self.table_tail(t)
        self.out.append(sql)
        self.comment("TABLE", name, t.comment)

    def table_tail(self, t: model.Table) -> str:
        opts = self.r.get("table_options", {})
        words = []
        for key, value in t.options:
            template = opts.get(key, opts.get("*"))
            if template:
                words.append(template.format(KEY=key.upper(), value=value))
        if t.comment is not None and self.r.get("comments") == "inline":
            words.append(f"COMMENT={self.lit(t.comment)}")
        tail = (" " + self.r.get("table_option_separator", " ").join(words)) if words else ""
        p = t.partitioning
        if p is not None and self.r.get("partitions") != "none":
            tail += f" PARTITION BY {p.strategy.upper()} ({', '.join(p.key)})"
            if self.r.get("partitions") == "inline" and p.partitions:
                if all(bound == "" for _, bound in p.partitions):
                    tail += f" PARTITIONS {len(p.partitions)}"
                else:
                    body = ", ".join(f"PARTITION {self.q(n)} {b}" for n, b in p.partitions)
                    tail += f" ({body})"
        return tail

    def partitions(self, t: model.Table) -> None:
        if t.partitioning is None or self.r.get("partitions") != "partition_of":
            return
        for child, bound in t.partitioning.partitions:
            parent = self.qn(t.schema, t.name)
            self.out.append(
                f"CREATE TABLE {self.qn(t.schema, child)} PARTITION OF {parent} {bound}"
            )

    def index(self, schema: str, table: str, i: model.Index) -> None:
        kinds = self.r.get("index_kinds", [])
        flag = "UNIQUE " if i.unique else (f"{i.method.upper()} " if i.method in kinds else "")
        sql = f"CREATE {flag}INDEX {self.q(i.name)} ON {self.qn(schema, table)}"
        method = i.method if i.method not in kinds else None
        default = self.data.get("index_method_default", "btree")
        where = self.r.get("index_method")
        if method and method != default and where == "before_columns":
            sql += f" USING {method}"
        sql += " (" + ", ".join(self.index_part(p) for p in i.parts) + ")"
        if method and method != default and where == "after_columns":
            sql += f" USING {method.upper()}"
        if i.include:
            sql += f" INCLUDE ({self.cols(i.include)})"
        if i.predicate:
            sql += f" WHERE {i.predicate}"
        if i.comment is not None and self.r.get("comments") == "inline":
            sql += f" COMMENT {self.lit(i.comment)}"
        self.out.append(sql)
        target = self.qn(schema, i.name)
        self.comment("INDEX", target, i.comment)

    def index_part(self, p: model.IndexPart) -> str:
        text = self.q(p.column) if p.column is not None else f"({p.expression})"
        if p.length is not None:
            text += f"({p.length})"
        if p.opclass:
            text += f" {p.opclass}"
        if p.descending:
            text += " DESC"
        if p.nulls:
            text += f" NULLS {p.nulls.upper()}"
        return text

    def view(self, v: model.View) -> None:
        from engine.ir.ddl import select_columns

        name = self.qn(v.schema, v.name)
        kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
        columns = ""
        if v.columns and tuple(v.columns) != select_columns(self.s.dialect, v.definition):
            columns = f" ({self.cols(v.columns)})"
        self.out.append(f"CREATE {kind} {name}{columns} AS {v.definition}")
        for index in v.indexes:
            self.index(v.schema, v.name, index)
        self.comment(kind, name, v.comment)


def _view_order(views, dialect: str) -> list[model.View]:
    """Views sorted so each comes after the views it reads (ties by key: stable)."""
    by_name = {v.name: v for v in views}
    deps: dict[tuple, set[str]] = {}
    for v in views:
        try:
            tree = sqlglot.parse_one(v.definition, read=dialect)
            names = {t.name for t in tree.find_all(exp.Table)}
        except Exception:
            names = {n for n in by_name if re.search(rf"\b{re.escape(n)}\b", v.definition)}
        deps[v.key] = {n for n in names if n in by_name and n != v.name}
    done: set[str] = set()
    out: list[model.View] = []
    pending = sorted(views, key=lambda v: v.key)
    while pending:
        ready = [v for v in pending if deps[v.key] <= done] or pending[:1]  # a cycle: keep going
        for v in ready:
            out.append(v)
            done.add(v.name)
        pending = [v for v in pending if v not in ready]
    return out


def render_ddl(snapshot: model.Snapshot) -> list[str]:
    """CREATE statements (without trailing `;`) that rebuild `snapshot`, in dependency order."""
    return _Renderer(snapshot).render()

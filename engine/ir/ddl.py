"""Desired-state DDL -> Snapshot, without a server.

`parse_ddl(sql_text, dialect)` reads a .sql file of CREATE statements (plus the ALTER
TABLE ADD CONSTRAINT, CREATE INDEX, COMMENT ON and ALTER SEQUENCE OWNED BY forms dump tools
write) and returns the snapshot a server would report after running it: constraint and
index names the DDL left out get the names the server would invent (`auto_names` in the
dialect's ir.json), SERIAL columns expand into an integer column, a sequence and a
default, PRIMARY KEY columns become NOT NULL where the family does that, and every type and
fragment goes through `engine.ir.normalize`.

sqlglot tokenizes the script (so quoting, comments and `$$` bodies follow the dialect) and
parses every SQL fragment; the statement grammar itself is read here, keyword by keyword,
because sqlglot falls back to an opaque Command for much DDL (materialised views, domains,
routines, MySQL index options, NOT VALID...). A statement that cannot be read raises
`DDLParseError` (a ConfigError) with `.line` and `.statement`. Session statements (SET,
USE, BEGIN, COMMIT, PRAGMA, GRANT, ...) are ignored: they do not describe schema.
"""

from __future__ import annotations

import dataclasses

import sqlglot
from sqlglot import exp

from engine.ir import model
from engine.ir.canonical import build_snapshot
from engine.ir.ddl_table import TableDraft, TableGrammar, _part_names
from engine.ir.dialects import dialect_data
from engine.ir.normalize import (
    collapse,
    normalize_default,
    normalize_expr,
    normalize_identifier,
    normalize_sequence,
    normalize_table_options,
    normalize_type,
    normalize_view,
    tidy_code,
)
from engine.ir.sqltokens import Cursor, DDLParseError, Statement, split_statements

__all__ = ["DDLParseError", "parse_ddl"]

_IGNORED = {"SET", "USE", "BEGIN", "COMMIT", "START", "PRAGMA", "GRANT", "REVOKE", "END"}
_PREFIXES = ("OR REPLACE", "TEMPORARY", "TEMP", "UNLOGGED", "GLOBAL", "LOCAL", "RECURSIVE")
_ROUTINE_STOP = {
    "LANGUAGE", "AS", "IMMUTABLE", "STABLE", "VOLATILE", "STRICT", "SECURITY", "COST", "ROWS",
    "PARALLEL", "SET", "BEGIN", "DETERMINISTIC", "NOT", "NO", "READS", "MODIFIES", "CONTAINS",
    "SQL", "COMMENT", "RETURN", "WINDOW", "LEAKPROOF", "CALLED", "SUPPORT", "TRANSFORM",
}  # fmt: skip


def parse_ddl(sql_text: str, dialect: str) -> model.Snapshot:
    """The snapshot `sql_text` describes, in `dialect` ("postgres", "mysql", "sqlite")."""
    reader = _Reader(dialect)
    for stmt in split_statements(sql_text, dialect):
        try:
            reader.statement(stmt)
        except DDLParseError:
            raise
        except Exception as exc:  # a grammar slip must still name the statement and line
            raise stmt.error(f"cannot read statement ({type(exc).__name__}: {exc})") from None
    return reader.finish()


def select_columns(dialect: str, select: str) -> tuple[str, ...]:
    """Output column names of a SELECT, or () when they cannot be told without the
    catalog (a `*`, an unnamed expression)."""
    try:
        tree = sqlglot.parse_one(select, read=dialect)
    except Exception:
        return ()
    if not isinstance(tree, exp.Query) or any(
        isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star) for e in tree.selects
    ):
        return ()
    out = []
    for e in tree.selects:
        ident = e.args.get("alias") if isinstance(e, exp.Alias) else e
        ident = ident.this if isinstance(ident, exp.Column) else ident
        if not isinstance(ident, exp.Identifier):
            return ()
        out.append(normalize_identifier(dialect, ident.this, quoted=ident.quoted))
    return tuple(out)


class _Reader:
    def __init__(self, dialect: str) -> None:
        self.data = dialect_data(dialect)
        self.dialect = dialect
        self.grammar = TableGrammar(self.data)
        self.namespaces: dict = {}
        self.tables: dict[tuple[str, str], TableDraft] = {}
        self.views: dict = {}
        self.sequences: dict = {}
        self.types: dict = {}
        self.triggers: dict = {}
        self.routines: dict = {}
        self.extensions: dict = {}
        self.partitions: list[tuple[tuple[str, str], str, str, Statement]] = []
        self.comments: list[tuple[str, list, str | None, Statement]] = []

    # -- names ------------------------------------------------------------------------
    def ident(self, cur: Cursor) -> str:
        return self.grammar.ident(cur)

    def resolve(self, cur: Cursor) -> tuple[str, str]:
        parts = [normalize_identifier(self.dialect, n, quoted=q) for n, q in cur.qualified()]
        schema = self.data.default_schema
        if len(parts) > 1 and self.data.get("has_schemas"):
            schema = parts[-2]
        return schema, parts[-1]

    def table(self, key: tuple[str, str], stmt: Statement) -> TableDraft:
        if key not in self.tables:
            raise stmt.error(f"table {'.'.join(filter(None, key))} is not defined before this")
        return self.tables[key]

    # -- dispatch ---------------------------------------------------------------------
    def statement(self, stmt: Statement) -> None:
        cur = Cursor(stmt)
        first = cur.head()
        if first in _IGNORED or cur.at("SELECT", "pg_catalog"):
            return
        if cur.accept("CREATE"):
            self.create(cur)
        elif cur.accept("ALTER", "TABLE"):
            self.alter_table(cur)
        elif cur.accept("ALTER", "SEQUENCE"):
            self.alter_sequence(cur)
        elif cur.accept("COMMENT", "ON"):
            self.comment_on(cur)
        elif cur.accept("DROP"):
            self.drop(cur)
        elif cur.at("ALTER") and "OWNER" in {t.text.upper() for t in stmt.tokens}:
            return  # ALTER ... OWNER TO: ownership is not schema
        else:
            raise stmt.error(f"not a schema statement ({first or stmt.tokens[0].text!r})")

    def create(self, cur: Cursor) -> None:
        while True:
            if any(cur.accept(*p.split()) for p in _PREFIXES):
                continue
            if cur.word() in ("DEFINER", "ALGORITHM") and cur.word(1) == "=":
                cur.i += 2
                cur.qualified() if cur.word() != "CURRENT_USER" else cur.next()
                if cur.at_paren():
                    cur.group()
                continue
            if cur.accept("SQL", "SECURITY"):
                cur.next()
                continue
            break
        kind = cur.head()
        if kind in ("SCHEMA", "DATABASE"):
            cur.next()
            cur.accept("IF", "NOT", "EXISTS")
            if self.data.get("has_schemas") and kind == "SCHEMA":
                name = self.ident(cur)
                self.namespaces[name] = model.Namespace(name=name)
        elif kind == "TABLE":
            cur.next()
            self.create_table(cur)
        elif kind in ("UNIQUE", "FULLTEXT", "SPATIAL", "INDEX"):
            self.create_index(cur)
        elif kind in ("VIEW", "MATERIALIZED"):
            self.create_view(cur)
        elif kind == "SEQUENCE":
            cur.next()
            self.create_sequence(cur)
        elif kind in ("TYPE", "DOMAIN"):
            self.create_type(cur)
        elif kind in ("TRIGGER", "CONSTRAINT"):
            self.create_trigger(cur)
        elif kind in ("FUNCTION", "PROCEDURE"):
            self.create_routine(cur)
        elif kind == "EXTENSION":
            cur.next()
            self.create_extension(cur)
        else:
            raise cur.stmt.error(f"unsupported CREATE {kind or cur.peek().text}")

    # -- tables -----------------------------------------------------------------------
    def create_table(self, cur: Cursor) -> None:
        cur.accept("IF", "NOT", "EXISTS")
        key = self.resolve(cur)
        if cur.accept("PARTITION", "OF"):
            parent = self.resolve(cur)
            if cur.at_paren():
                cur.group()
            self.partitions.append((parent, key[1], collapse(cur.rest()), cur.stmt))
            return
        if key in self.tables:
            raise cur.stmt.error(f"table {key[1]} is defined twice")
        draft = TableDraft(schema=key[0], name=key[1])
        a, b = cur.group()
        for x, y in cur.split_commas(a, b):
            self.grammar.element(draft, cur.sub(x, y))
        self.table_tail(draft, cur)
        self.tables[key] = draft

    def table_tail(self, t: TableDraft, cur: Cursor) -> None:
        while not cur.at_end():
            if cur.accept("PARTITION", "BY"):
                self.partition_by(t, cur)
            elif cur.accept(","):
                pass
            elif cur.accept("WITHOUT", "ROWID"):
                t.options.append(("without_rowid", "true"))
            elif cur.accept("STRICT"):
                t.options.append(("strict", "true"))
            elif cur.accept("WITH") or cur.accept("TABLESPACE") or cur.accept("ON", "COMMIT"):
                cur.skip_one()
                if cur.at("ROWS") or cur.at("DROP"):
                    cur.skip_one()
            elif cur.accept("INHERITS"):
                raise cur.stmt.error("INHERITS is not supported by the IR")
            elif cur.accept("COMMENT"):
                cur.accept("=")
                t.comment = cur.string()
            else:
                cur.accept("DEFAULT")
                if cur.accept("CHARACTER", "SET") or cur.accept("CHARSET"):
                    key = "charset"
                else:
                    key = cur.next().text.lower()
                cur.accept("=")
                value = cur.next().text
                if key != "auto_increment":  # the next id is data, not schema
                    t.options.append((key, value))

    def partition_by(self, t: TableDraft, cur: Cursor) -> None:
        words = []
        while not cur.at_paren():
            words.append(cur.next().text.lower())
        a, b = cur.group()
        key = tuple(normalize_expr(self.dialect, cur.text(x, y)) for x, y in cur.split_commas(a, b))
        parts: list[tuple[str, str]] = []
        if cur.accept("PARTITIONS"):
            count = int(cur.next().text)
            parts = [(f"p{i}", "") for i in range(count)]
        if cur.at_paren():
            a, b = cur.group()
            for x, y in cur.split_commas(a, b):
                sub = cur.sub(x, y)
                sub.expect("PARTITION")
                name = self.ident(sub)
                parts.append((name, collapse(sub.rest())))
        t.partitioning = model.Partitioning(
            strategy=" ".join(words), key=key, partitions=tuple(parts)
        )

    def alter_table(self, cur: Cursor) -> None:
        cur.accept("ONLY")
        cur.accept("IF", "EXISTS")
        cur.accept("ONLY")
        t = self.table(self.resolve(cur), cur.stmt)
        for x, y in cur.split_commas(cur.i, cur.end):
            sub = cur.sub(x, y)
            if sub.accept("ADD"):
                if sub.accept("COLUMN"):
                    sub.accept("IF", "NOT", "EXISTS")
                    self.grammar.column(t, sub)
                else:
                    self.grammar.element(t, sub)
            elif sub.accept("ALTER"):
                sub.accept("COLUMN")
                col = self.ident(sub)
                if sub.accept("SET", "DEFAULT"):
                    t.update_column(col, default=normalize_default(self.dialect, sub.rest()))
                elif sub.accept("DROP", "DEFAULT"):
                    t.update_column(col, default=None)
                elif sub.accept("SET", "NOT", "NULL"):
                    t.update_column(col, nullable=False)
                elif sub.accept("DROP", "NOT", "NULL"):
                    t.update_column(col, nullable=True)
                else:
                    raise cur.stmt.error(f"unsupported ALTER COLUMN form: {collapse(sub.rest())}")
            elif sub.accept("ATTACH", "PARTITION"):
                child = self.resolve(sub)
                self.partitions.append(
                    ((t.schema, t.name), child[1], collapse(sub.rest()), cur.stmt)
                )
            elif sub.accept("OWNER", "TO") or sub.at("ENABLE") or sub.at("DISABLE"):
                continue
            else:
                raise cur.stmt.error(f"unsupported ALTER TABLE action: {collapse(sub.rest())[:40]}")

    def create_index(self, cur: Cursor) -> None:
        unique = method = None
        if cur.head() in ("UNIQUE", "FULLTEXT", "SPATIAL"):
            flag = cur.next().text.upper()
            unique = flag == "UNIQUE"
            method = None if unique else flag.lower()
        cur.expect("INDEX")
        cur.accept("CONCURRENTLY")
        cur.accept("IF", "NOT", "EXISTS")
        name = None if cur.at("ON") else self.ident(cur)
        if cur.accept("USING"):
            method = cur.next().text.lower()
        cur.expect("ON")
        cur.accept("ONLY")
        key = self.resolve(cur)
        if cur.accept("USING"):
            method = cur.next().text.lower()
        parts = self.grammar.index_parts(cur)
        include: tuple[str, ...] = ()
        predicate = None
        while not cur.at_end():
            if cur.accept("USING"):
                method = cur.next().text.lower()
            elif cur.accept("INCLUDE"):
                include = self.grammar.ident_list(cur)
            elif cur.accept("WHERE"):
                predicate = normalize_expr(self.dialect, cur.rest())
                cur.i = cur.end
            elif cur.accept("NULLS", "NOT", "DISTINCT") or cur.accept("NULLS", "DISTINCT"):
                pass
            else:
                cur.skip_one()  # WITH (...), TABLESPACE x, ALGORITHM=..., LOCK=..., COMMENT
        target = self.tables.get(key)
        if target is None and key in self.views:
            view = self.views[key]
            index = model.Index(
                name=name or "", parts=parts, unique=bool(unique),
                predicate=predicate, method=method or self.data.get("index_method_default"),
                include=include,
            )  # fmt: skip
            self.views[key] = dataclasses.replace(view, indexes=(*view.indexes, index))
            return
        t = self.table(key, cur.stmt)
        t.indexes.append(
            model.Index(
                name=name or self.grammar.auto_name(t, "index", _part_names(parts)) or "",
                parts=parts,
                unique=bool(unique),
                predicate=predicate,
                method=method or self.data.get("index_method_default", "btree"),
                include=include,
            )
        )

    # -- other objects ----------------------------------------------------------------
    def create_view(self, cur: Cursor) -> None:
        materialized = cur.accept("MATERIALIZED")
        cur.expect("VIEW")
        cur.accept("IF", "NOT", "EXISTS")
        key = self.resolve(cur)
        columns: tuple[str, ...] = ()
        if cur.at_paren():
            columns = self.grammar.ident_list(cur)
        if cur.accept("WITH"):
            cur.group()
        cur.expect("AS")
        end = cur.end
        toks = cur.toks
        words = [t.text.upper() for t in toks[cur.i : end]]
        for tail in (["WITH", "NO", "DATA"], ["WITH", "DATA"], ["WITH", "CHECK", "OPTION"]):
            if words[-len(tail) :] == tail:
                end -= len(tail)
        if [w for w in words[-4:-3]] == ["WITH"] and words[-2:] == ["CHECK", "OPTION"]:
            end = cur.i + len(words) - 4  # WITH CASCADED|LOCAL CHECK OPTION
        select = cur.text(cur.i, end)
        if not columns:
            columns = select_columns(self.dialect, select)
        self.views[key] = model.View(
            schema=key[0],
            name=key[1],
            definition=normalize_view(self.dialect, select),
            materialized=materialized,
            columns=columns,
        )

    def create_sequence(self, cur: Cursor) -> None:
        cur.accept("IF", "NOT", "EXISTS")
        key = self.resolve(cur)
        defaults = self.data.get("sequence_defaults", {})
        seq = model.Sequence(
            schema=key[0],
            name=key[1],
            data_type=defaults.get("data_type", "bigint"),
            cache=defaults.get("cache", 1),
        )
        self.sequences[key] = self.sequence_options(seq, cur)

    def sequence_options(self, seq: model.Sequence, cur: Cursor) -> model.Sequence:
        change: dict = {}

        def number() -> int:
            neg = cur.accept("-")
            return -int(cur.next().text) if neg else int(cur.next().text)

        while not cur.at_end():
            if cur.accept("AS"):
                change["data_type"] = normalize_type(self.dialect, cur.next().text)
            elif cur.accept("INCREMENT"):
                cur.accept("BY") or cur.accept("=")
                change["increment"] = number()
            elif cur.accept("START"):
                cur.accept("WITH") or cur.accept("=")
                change["start"] = number()
            elif cur.accept("MINVALUE"):
                cur.accept("=")
                change["min_value"] = number()
            elif cur.accept("MAXVALUE"):
                cur.accept("=")
                change["max_value"] = number()
            elif cur.accept("CACHE"):
                cur.accept("=")
                change["cache"] = number()
            elif cur.accept("NOCACHE"):
                change["cache"] = 0
            elif cur.accept("CYCLE"):
                change["cycle"] = True
            elif cur.accept("NO", "CYCLE") or cur.accept("NOCYCLE"):
                change["cycle"] = False
            elif cur.accept("NO", "MINVALUE") or cur.accept("NOMINVALUE"):
                change["min_value"] = None
            elif cur.accept("NO", "MAXVALUE") or cur.accept("NOMAXVALUE"):
                change["max_value"] = None
            elif cur.accept("OWNED", "BY"):
                if cur.accept("NONE"):
                    change["owned_by"] = None
                else:
                    parts = [
                        normalize_identifier(self.dialect, n, quoted=q) for n, q in cur.qualified()
                    ]
                    change["owned_by"] = ".".join(parts[-2:])
            else:
                cur.skip_one()  # ENGINE=..., AS for MariaDB table-backed sequences
        return dataclasses.replace(seq, **change)

    def alter_sequence(self, cur: Cursor) -> None:
        cur.accept("IF", "EXISTS")
        key = self.resolve(cur)
        if key not in self.sequences:
            raise cur.stmt.error(f"sequence {key[1]} is not defined before this")
        self.sequences[key] = self.sequence_options(self.sequences[key], cur)

    def create_type(self, cur: Cursor) -> None:
        domain = cur.next().text.upper() == "DOMAIN"
        key = self.resolve(cur)
        if domain:
            cur.accept("AS")
            record = model.UserType(key[0], key[1], "domain", definition=collapse(cur.rest()))
        elif cur.accept("AS", "ENUM"):
            a, b = cur.group()
            labels = tuple(cur.sub(x, y).string() for x, y in cur.split_commas(a, b))
            record = model.UserType(key[0], key[1], "enum", labels=labels)
        elif cur.accept("AS", "RANGE"):
            a, b = cur.group()
            record = model.UserType(key[0], key[1], "range", definition=collapse(cur.text(a, b)))
        elif cur.accept("AS"):
            a, b = cur.group()
            attrs = []
            for x, y in cur.split_commas(a, b):
                sub = cur.sub(x, y)
                name = self.ident(sub)
                attrs.append(f"{name} {normalize_type(self.dialect, sub.rest())}")
            record = model.UserType(key[0], key[1], "composite", definition=", ".join(attrs))
        else:
            raise cur.stmt.error("unsupported CREATE TYPE form")
        self.types[key] = record

    def create_trigger(self, cur: Cursor) -> None:
        cur.accept("CONSTRAINT")
        cur.expect("TRIGGER")
        cur.accept("IF", "NOT", "EXISTS")
        name = self.ident(cur)
        timing = next(t for t in ("BEFORE", "AFTER", "INSTEAD OF", "") if cur.accept(*t.split()))
        events = []
        while not cur.at("ON") and not cur.at_end():
            word = cur.next().text.upper()
            if word in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                events.append(word)
        cur.expect("ON")
        table = self.resolve(cur)
        self.triggers[(table[0], table[1], name)] = model.Trigger(
            schema=table[0], table=table[1], name=name, timing=timing or "AFTER",
            events=tuple(sorted(set(events))), definition=tidy_code(cur.stmt.text),
        )  # fmt: skip

    def create_routine(self, cur: Cursor) -> None:
        kind = cur.next().text.lower()
        cur.accept("IF", "NOT", "EXISTS")
        key = self.resolve(cur)
        a, b = cur.group()
        arguments = collapse(cur.text(a, b))
        returns = language = None
        while not cur.at_end():
            if cur.accept("RETURNS"):
                start = cur.i
                while not cur.at_end() and (cur.i == start or cur.head() not in _ROUTINE_STOP):
                    cur.skip_one()
                returns = normalize_type(self.dialect, cur.text(start, cur.i))
            elif cur.accept("LANGUAGE"):
                language = cur.next().text.lower()
            else:
                cur.skip_one()
        self.routines[(key[0], key[1], arguments)] = model.Routine(
            schema=key[0], name=key[1], kind=kind, arguments=arguments, returns=returns,
            language=language, definition=tidy_code(cur.stmt.text),
        )  # fmt: skip

    def create_extension(self, cur: Cursor) -> None:
        cur.accept("IF", "NOT", "EXISTS")
        name = self.ident(cur)
        schema, version = self.data.default_schema, None
        while not cur.at_end():
            if cur.accept("SCHEMA"):
                schema = self.ident(cur)
            elif cur.accept("VERSION"):
                version = cur.next().text
            else:
                cur.skip_one()
        self.extensions[name] = model.Extension(name=name, schema=schema, version=version)

    # -- comments, drops --------------------------------------------------------------
    def comment_on(self, cur: Cursor) -> None:
        kind = cur.next().text.upper()
        if kind == "MATERIALIZED":
            cur.expect("VIEW")
            kind = "VIEW"
        parts = [normalize_identifier(self.dialect, n, quoted=q) for n, q in cur.qualified()]
        if cur.at_paren():
            cur.group()  # FUNCTION f(args)
        cur.expect("IS")
        text = None if cur.accept("NULL") else cur.string()
        self.comments.append((kind, parts, text, cur.stmt))

    def apply_comment(self, kind: str, parts: list[str], text, stmt: Statement) -> None:
        ds = self.data.default_schema
        if kind == "COLUMN":
            *owner, column = parts
            key = (owner[-2] if len(owner) > 1 else ds, owner[-1])
            if key in self.tables:
                if not self.tables[key].update_column(column, comment=text):
                    raise stmt.error(f"no column {column} in {key[1]}")
                return
            raise stmt.error(f"table {owner[-1]} is not defined")
        key = (parts[-2] if len(parts) > 1 else ds, parts[-1])
        stores = {
            "TABLE": self.tables, "VIEW": self.views, "SEQUENCE": self.sequences,
            "TYPE": self.types, "DOMAIN": self.types,
        }  # fmt: skip
        if kind == "SCHEMA" and parts[-1] in self.namespaces:
            self.namespaces[parts[-1]] = model.Namespace(parts[-1], comment=text)
        elif kind == "TABLE" and key in self.tables:
            self.tables[key].comment = text
        elif kind in stores and key in stores[kind]:
            stores[kind][key] = dataclasses.replace(stores[kind][key], comment=text)
        elif kind == "INDEX":
            for t in self.tables.values():
                for i, index in enumerate(t.indexes):
                    if index.name == parts[-1] and t.schema == key[0]:
                        t.indexes[i] = dataclasses.replace(index, comment=text)
                        return
            raise stmt.error(f"index {parts[-1]} is not defined")
        elif kind in ("FUNCTION", "PROCEDURE"):
            for rkey, routine in self.routines.items():
                if rkey[:2] == key:
                    self.routines[rkey] = dataclasses.replace(routine, comment=text)
        else:
            raise stmt.error(f"COMMENT ON {kind} {'.'.join(parts)}: no such object")

    def drop(self, cur: Cursor) -> None:
        kind = cur.next().text.upper()
        if kind == "MATERIALIZED":
            cur.expect("VIEW")
            kind = "VIEW"
        cur.accept("IF", "EXISTS")
        store = {"TABLE": self.tables, "VIEW": self.views, "SEQUENCE": self.sequences,
                 "TYPE": self.types}.get(kind)  # fmt: skip
        if store is None:
            return
        for x, y in cur.split_commas(cur.i, cur.end):
            store.pop(self.resolve(cur.sub(x, y)), None)

    # -- finishing --------------------------------------------------------------------
    def finish(self) -> model.Snapshot:
        for kind, parts, text, stmt in self.comments:
            self.apply_comment(kind, parts, text, stmt)
        for parent, child, bound, stmt in self.partitions:
            t = self.table(parent, stmt)
            if t.partitioning is None:
                raise stmt.error(f"table {parent[1]} is not partitioned")
            p = t.partitioning
            t.partitioning = dataclasses.replace(p, partitions=(*p.partitions, (child, bound)))
        for t in self.tables.values():
            self.expand_serials(t)
            self.implied_facts(t)
        tables = [self.freeze(t) for t in self.tables.values()]
        return build_snapshot(
            self.dialect,
            namespaces=self.namespaces.values(),
            tables=tables,
            views=self.views.values(),
            sequences=(normalize_sequence(self.dialect, s) for s in self.sequences.values()),
            types=self.types.values(),
            triggers=self.triggers.values(),
            routines=self.routines.values(),
            extensions=self.extensions.values(),
            source={"kind": "ddl"},
        )

    def expand_serials(self, t: TableDraft) -> None:
        template = self.data.get("serial_sequence_name", "{table}_{column}_seq")
        for column in t.serials:
            col = t.columns[t.column_index(column)]
            name = template.format(table=t.name, column=column)
            qualified = name if t.schema == self.data.default_schema else f"{t.schema}.{name}"
            default = self.data.get("serial_default", "").format(sequence=qualified)
            self.sequences[(t.schema, name)] = model.Sequence(
                schema=t.schema, name=name, data_type=col.type, owned_by=f"{t.name}.{column}",
                cache=self.data.get("sequence_defaults", {}).get("cache", 1),
            )  # fmt: skip
            t.update_column(
                column, nullable=False, default=normalize_default(self.dialect, default)
            )

    def pk_not_null_by_options(self, t: TableDraft) -> bool:
        """Table options that make primary key columns NOT NULL (SQLite: WITHOUT ROWID
        always; STRICT unless the key is the rowid alias, a lone INTEGER column), from
        ir.json `primary_key_not_null_with_options`."""
        rules = self.data.get("primary_key_not_null_with_options") or {}
        keys = t.primary_key.columns
        for option, _ in t.options:
            rule = rules.get(option)
            if rule is None:
                continue
            alias_type = rule.get("except_single_column_type")
            column = next((c for c in t.columns if c.name == keys[0]), None)
            if alias_type and len(keys) == 1 and column and column.type == alias_type:
                continue
            return True
        return False

    def implied_facts(self, t: TableDraft) -> None:
        if t.primary_key and (
            self.data.get("primary_key_implies_not_null") or self.pk_not_null_by_options(t)
        ):
            for column in t.primary_key.columns:
                t.update_column(column, nullable=False)
        if self.data.get("identity_implies_not_null"):
            for col in t.columns:
                if col.identity:
                    t.update_column(col.name, nullable=False)
        if self.data.get("foreign_key_creates_index"):
            for fk in t.foreign_keys:
                if not self.has_leading_index(t, fk.columns):
                    taken = {i.name for i in t.indexes}
                    name = fk.name if fk.name and fk.name not in taken else None
                    name = name or self.grammar.auto_name(t, "index", fk.columns) or ""
                    parts = tuple(model.IndexPart(column=c) for c in fk.columns)
                    t.indexes.append(model.Index(name=name, parts=parts))

    @staticmethod
    def has_leading_index(t: TableDraft, columns) -> bool:
        keys = [tuple(p.column for p in i.parts) for i in t.indexes]
        if t.primary_key:
            keys.append(t.primary_key.columns)
        return any(k[: len(columns)] == tuple(columns) for k in keys)

    def freeze(self, t: TableDraft) -> model.Table:
        return model.Table(
            schema=t.schema,
            name=t.name,
            columns=tuple(t.columns),
            primary_key=t.primary_key,
            uniques=tuple(t.uniques),
            foreign_keys=tuple(t.foreign_keys),
            checks=tuple(t.checks),
            indexes=tuple(t.indexes),
            partitioning=t.partitioning,
            comment=t.comment,
            options=normalize_table_options(self.dialect, t.options),
        )

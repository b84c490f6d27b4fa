"""Facts the lint rules ask about a plan: `Scan` (one plan under review: which tables
existed, which columns an operation changes, renames resolved), what views read, whether a
type change narrows. Kept apart from the rules so each rule stays a few lines of "when".

Views are read with sqlglot in the snapshot's dialect (the name is only passed to sqlglot);
a definition sqlglot cannot parse falls back to "mentions the name as a word", which
over-reports rather than misses. Type narrowing is judged from the normalised type text
(engine.ir.normalize spellings) with the small tables below: a change that stays in one
category narrows when its size goes down; a change across categories narrows unless it
goes to an unbounded string or an exact number wide enough.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from engine.planner.model import Operation, Plan, PlanContext
from engine.planner.risk import table_of

# --- types --------------------------------------------------------------------------------

#: category and rank (bigger holds more) of type names without a size
TYPE_RANKS = {
    "tinyint": ("integer", 1),
    "smallint": ("integer", 2),
    "mediumint": ("integer", 3),
    "int": ("integer", 4),
    "integer": ("integer", 4),
    "bigint": ("integer", 5),
    "real": ("float", 1),
    "float": ("float", 1),
    "double": ("float", 2),
    "double precision": ("float", 2),
    "tinytext": ("string", 255),
    "text": ("string", 65_535),
    "mediumtext": ("string", 16_777_215),
    "longtext": ("string", 4_294_967_295),
    "tinyblob": ("binary", 255),
    "blob": ("binary", 65_535),
    "mediumblob": ("binary", 16_777_215),
    "longblob": ("binary", 4_294_967_295),
    "bytea": ("binary", 4_294_967_295),
    "date": ("temporal", 1),
    "time": ("temporal", 1),
    "datetime": ("temporal", 2),
    "timestamp": ("temporal", 2),
    "timestamptz": ("temporal", 2),
    "boolean": ("boolean", 1),
    "bool": ("boolean", 1),
}
#: type names whose first argument is a length (rank = the length)
SIZED = {
    "varchar": "string",
    "character varying": "string",
    "char": "string",
    "character": "string",
    "nvarchar": "string",
    "nchar": "string",
    "varbinary": "binary",
    "binary": "binary",
    "bit": "bit",
}
#: exact numbers: (precision, scale) arguments
EXACT = {"numeric", "decimal", "dec"}
#: decimal digits an integer of each rank needs
INTEGER_DIGITS = {1: 3, 2: 5, 3: 8, 4: 10, 5: 20}
#: targets every value converts to without loss (unbounded strings)
UNBOUNDED_STRING_RANK = 65_535

_TYPE = re.compile(r"^\s*([a-z][a-z ]*?)\s*(?:\(([^)]*)\))?\s*(unsigned)?\s*(\[\])?\s*$")


@dataclass(frozen=True)
class TypeShape:
    base: str
    category: str
    rank: int | None = None
    args: tuple[int, ...] = ()
    unsigned: bool = False


def type_shape(text: str) -> TypeShape:
    m = _TYPE.match(text.lower())
    if not m or m.group(4):
        return TypeShape(text.lower(), "other")
    base, raw_args, unsigned = m.group(1), m.group(2), bool(m.group(3))
    try:
        args = tuple(int(a) for a in raw_args.split(",")) if raw_args else ()
    except ValueError:
        args = ()
    if base in TYPE_RANKS:
        category, rank = TYPE_RANKS[base]
        return TypeShape(base, category, rank, args, unsigned)
    if base in SIZED:
        return TypeShape(base, SIZED[base], args[0] if args else 1, args, unsigned)
    if base in EXACT:
        return TypeShape(base, "exact", None, args, unsigned)
    return TypeShape(base, "other", None, args, unsigned)


def narrowing(old: str, new: str) -> str | None:
    """Why changing a column from `old` to `new` may fail or lose values, or None."""
    if old.lower() == new.lower():
        return None
    o, n = type_shape(old), type_shape(new)
    if o.category == n.category == "exact":
        (op, os), (np_, ns) = (o.args + (0, 0))[:2], (n.args + (0, 0))[:2]
        if n.args and (not o.args or ns < os or np_ - ns < op - os):
            return f"{old} -> {new} holds fewer digits"
        return None
    if o.category == n.category and o.category != "other":
        if n.rank is not None and o.rank is not None and n.rank < o.rank:
            return f"{old} -> {new} is smaller"
        if o.category == "integer" and o.unsigned != n.unsigned:
            return f"{old} -> {new} changes the signed range"
        if o.category == "temporal" and o.rank == n.rank and o.base != n.base:
            return f"{old} -> {new} changes what the value means"
        return None
    if o.category == n.category:  # both "other": user types, enums, arrays: not judged here
        return None
    if n.category == "string" and (n.rank or 0) >= UNBOUNDED_STRING_RANK:
        return None
    if o.category == "integer" and n.category == "exact":
        precision, scale = (n.args + (0,))[:2]
        if not n.args or precision - scale >= INTEGER_DIGITS.get(o.rank or 5, 20):
            return None
    return f"{old} -> {new} converts between kinds of value; existing rows may not convert"


# --- views --------------------------------------------------------------------------------


@dataclass
class ViewReads:
    """What one view reads: tables by name -> (schema or "", columns or None for all)."""

    schema: str
    name: str
    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, set[str] | None] = field(default_factory=dict)
    unqualified: set[str] = field(default_factory=set)

    def reads_table(self, schema: str, table: str) -> bool:
        if table not in self.tables:
            return False
        ref = self.tables[table]
        return not ref or not schema or ref == schema

    def reads_column(self, schema: str, table: str, column: str, *, sure: bool = False) -> bool:
        """True if the view reads `column` of the table. `sure=True` counts an unqualified
        name only when the view reads that one table (no guessing between tables)."""
        if not self.reads_table(schema, table):
            return False
        cols = self.columns.get(table)
        if cols is None or column in cols:
            return True
        return column in self.unqualified and (not sure or len(self.tables) == 1)


def view_reads(view, dialect: str, known_names=()) -> ViewReads:
    reads = ViewReads(view.schema, view.name)
    try:
        tree = sqlglot.parse_one(view.definition, read=dialect)
    except Exception:  # sqlglot raises several types; any failure means "fall back"
        for name in known_names:
            if re.search(rf"\b{re.escape(name)}\b", view.definition):
                reads.tables[name] = ""
                reads.columns[name] = None
        return reads
    aliases: dict[str, str] = {}
    for t in tree.find_all(exp.Table):
        reads.tables.setdefault(t.name, t.db or "")
        reads.columns.setdefault(t.name, set())
        aliases[t.alias_or_name] = t.name
    for c in tree.find_all(exp.Column):
        table = aliases.get(c.table) if c.table else None
        if isinstance(c.this, exp.Star):
            if table:
                reads.columns[table] = None
        elif table:
            cols = reads.columns.get(table)
            if cols is not None:
                cols.add(c.name)
        else:
            reads.unqualified.add(c.name)
    if any(isinstance(s.parent, exp.Select) for s in tree.find_all(exp.Star)):
        for name in reads.tables:
            reads.columns[name] = None
    return reads


#: a name that is written as itself in any view text (no quotes or escapes to undo)
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")


class LazyViewReads:
    """What each view of one snapshot reads, parsed only when asked, and only for the views
    whose text can name the table asked about: a view reads a table by naming it, and a
    plain name (letters, digits, _) is then somewhere in its text, in some case. Parsing
    every view for every dropped object was most of the lint of a large schema."""

    def __init__(self, snapshot) -> None:
        self.snapshot = snapshot
        self._views = tuple(snapshot.views) if snapshot is not None else ()
        self._texts: list[str] | None = None
        self._names: list[str] | None = None
        self._parsed: dict[int, ViewReads] = {}

    def _reads(self, i: int) -> ViewReads:
        got = self._parsed.get(i)
        if got is None:
            if self._names is None:
                snap = self.snapshot
                self._names = [t.name for t in snap.tables] + [v.name for v in snap.views]
            got = self._parsed[i] = view_reads(self._views[i], self.snapshot.dialect, self._names)
        return got

    def all(self) -> tuple[ViewReads, ...]:
        return tuple(self._reads(i) for i in range(len(self._views)))

    def naming(self, table: str) -> tuple[ViewReads, ...]:
        """The reads of every view that may read `table` (all of them for an odd name)."""
        if not _PLAIN_NAME.fullmatch(table):
            return self.all()
        if self._texts is None:
            self._texts = [v.definition.lower() for v in self._views]
        word = table.lower()
        return tuple(self._reads(i) for i, text in enumerate(self._texts) if word in text)


# --- operations ---------------------------------------------------------------------------

ADD_VERBS = frozenset({"add", "create"})
DROP_VERBS = frozenset({"drop"})
RENAME_VERBS = frozenset({"rename"})
CONSTRAINT_KINDS = frozenset({"foreign_key", "unique", "check", "primary_key"})
UNIQUE_KINDS = frozenset({"unique", "primary_key"})
VIEW_KINDS = frozenset({"view", "materialized_view"})
#: strategies under which an index build does not block writes for its length
ONLINE_INDEX_STRATEGIES = frozenset({"concurrent", "inplace", "instant", "shadow_copy"})
#: words in an operation kind that say which column aspect it changes (else: all of them)
ASPECT_WORDS = {"null": "nullable", "type": "type"}


def verb(op: Operation) -> str:
    return op.kind.split("_", 1)[0]


def dotted(*parts: str | None) -> str:
    return ".".join(p for p in parts if p)


# --- one plan under review ------------------------------------------------------------------


class Scan:
    """One plan under review: the plan, its context and lazily computed facts."""

    def __init__(self, plan: Plan, context: PlanContext) -> None:
        self.plan = plan
        self.ctx = context
        self.before = context.from_snapshot
        self.after = context.to_snapshot
        renames = (*plan.renames, *context.renames)
        self.table_renames = {(r.schema, r.new): r.old for r in renames if r.kind == "table"}
        self.column_renames = {
            (r.schema, r.table, r.new): r.old for r in renames if r.kind == "column"
        }
        self.created = {table_of(o) for o in plan.operations if self.creates_table(o)}
        self._reads_before = LazyViewReads(self.before)
        self._reads_after = LazyViewReads(self.after)

    @staticmethod
    def creates_table(op: Operation) -> bool:
        return verb(op) in ADD_VERBS and op.target.kind == "table"

    def old_table(self, schema: str, table: str):
        if self.before is None:
            return None
        return self.before.table(schema, self.table_renames.get((schema, table), table))

    def new_table(self, schema: str, table: str):
        return None if self.after is None else self.after.table(schema, table)

    def existing(self, schema: str, table: str) -> bool:
        """The table holds rows before the plan runs (it is not created by the plan)."""
        return (schema, table) not in self.created and self.old_table(schema, table) is not None

    def old_column(self, schema: str, table: str, column: str):
        t = self.old_table(schema, table)
        name = self.column_renames.get((schema, table, column), column)
        return None if t is None else t.column(name)

    def reads_before(self, table: str | None = None) -> tuple:
        """What the current schema's views read (only those that may read `table`)."""
        reads = self._reads_before
        return reads.all() if table is None else reads.naming(table)

    def reads_after(self, table: str | None = None) -> tuple:
        """What the desired schema's views read (only those that may read `table`)."""
        reads = self._reads_after
        return reads.all() if table is None else reads.naming(table)

    def rows_text(self, schema: str, table: str) -> str:
        rows = self.ctx.rows(schema, table)
        return "" if rows is None else f" (~{rows:,} rows)"

    def big_or_unknown(self, schema: str, table: str) -> bool:
        return self.ctx.rows(schema, table) is None or self.ctx.is_large(schema, table)

    def column_aspects(self, op: Operation) -> frozenset[str]:
        """Which column aspects the op may change: "nullable", "type"."""
        if verb(op) in DROP_VERBS | RENAME_VERBS:
            return frozenset()
        if op.target.kind == "table" and verb(op) in ADD_VERBS:
            return frozenset()
        words = {aspect for word, aspect in ASPECT_WORDS.items() if word in op.kind}
        if verb(op) in ADD_VERBS:
            return frozenset({"nullable"})
        return frozenset(words or ASPECT_WORDS.values())

    def narrowed(self, op: Operation) -> list[tuple[str, str]]:
        """(column, why) for each column whose type the op narrows (see lint_facts)."""
        if "type" not in self.column_aspects(op):
            return []
        out = []
        for schema, table, old, new in self.column_changes(op):
            if old is None or old.type == new.type:
                continue
            why = narrowing(old.type, new.type)
            if why is None and "DATA_DEPENDENT" in op.hazards and op.target.kind == "column":
                why = f"{old.type} -> {new.type} depends on the data"
            if why:
                out.append((dotted(schema, table, new.name), why))
        return out

    def column_changes(self, op: Operation) -> Iterator[tuple[str, str, object, object]]:
        """(schema, table, old column or None, new column) for columns the op changes on an
        existing table: its target column, or every column of a rebuilt table."""
        where = table_of(op)
        if where is None or not self.existing(*where):
            return
        new_table = self.new_table(*where)
        if new_table is None:
            return
        if op.target.kind == "column":
            columns = [c for c in new_table.columns if c.name == op.target.name]
        elif op.target.kind == "table":
            columns = list(new_table.columns)
        else:
            return
        for col in columns:
            yield (*where, self.old_column(*where, col.name), col)

"""The schema IR: the engine's one representation of a database schema.

Everything that reads a schema (FLO from a live catalog, the DDL parser from a desired-state
.sql file, a snapshot JSON file) produces these records, and everything that reasons about
schemas (the differ, the linter, the Studio's explorer) consumes them. Records are frozen
and hold only tuples, so a snapshot can be hashed, compared and shared between threads.

Conventions that make two equal schemas compare (and hash) equal wherever they came from:
- Names are kept exactly as the catalog spells them (no case folding here).
- `schema` is the namespace inside the database (PostgreSQL schema); families whose
  database IS the namespace (MySQL/MariaDB, SQLite's `main`) use "" so the same schema in
  two databases is the same IR.
- Collections that have no inherent order (tables, indexes, constraints...) are stored
  sorted by `key`; columns keep their ordinal order (it is part of a table's shape).
- SQL fragments (defaults, check and index expressions, view definitions, predicates) are
  stored normalised by `engine.ir.normalize` for the snapshot's dialect, so cosmetic
  differences in how a server echoes them back do not change the hash.
- `type` is the normalised type from the family's type map in transports/ (e.g. "integer",
  "varchar(255)", "numeric(12,4)", "timestamptz"); `raw_type` is what the server said.
Volatile facts (object ids, sizes, row estimates, learned time, server identity) live in
`Snapshot.stats` / `Snapshot.source` and never enter the profile hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SNAPSHOT_FORMAT = "nublox.snapshot/1"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    #: what the source said; informative only: not compared, not hashed (`type` is)
    raw_type: str = field(default="", compare=False)
    nullable: bool = True
    default: str | None = None
    #: None, "always" / "by default" (SQL identity) or "auto_increment"
    identity: str | None = None
    #: generation expression of a generated column, and whether it is stored
    generated: str | None = None
    generated_stored: bool = False
    collation: str | None = None
    comment: str | None = None
    #: expression the server writes on every UPDATE (MySQL `ON UPDATE CURRENT_TIMESTAMP`)
    on_update: str | None = None


@dataclass(frozen=True, slots=True)
class IndexPart:
    """One key part: a column name, or an expression when `expression` is set."""

    column: str | None = None
    expression: str | None = None
    descending: bool = False
    #: "first" / "last" where the family stores it and it differs from the default
    nulls: str | None = None
    #: prefix length (MySQL `col(10)`), operator class (PostgreSQL) when not the default
    length: int | None = None
    opclass: str | None = None


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    parts: tuple[IndexPart, ...]
    unique: bool = False
    #: partial index predicate (WHERE ...)
    predicate: str | None = None
    #: access method ("btree", "hash", "gin", "gist", "fulltext", "spatial"...)
    method: str = "btree"
    #: columns carried but not keyed (PostgreSQL INCLUDE)
    include: tuple[str, ...] = ()
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    name: str
    columns: tuple[str, ...]
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    match: str = "SIMPLE"
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    expression: str
    #: PostgreSQL NOT VALID constraints are not enforced on existing rows
    validated: bool = True


@dataclass(frozen=True, slots=True)
class Partitioning:
    """How a table is partitioned: strategy ("range", "list", "hash", "key"), the key
    expression(s), and each partition's name and bound clause as the server prints it."""

    strategy: str
    key: tuple[str, ...]
    partitions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[Check, ...] = ()
    indexes: tuple[Index, ...] = ()
    partitioning: Partitioning | None = None
    comment: str | None = None
    #: family-specific table options that change behaviour (MySQL engine, default
    #: charset/collation; SQLite WITHOUT ROWID / STRICT), as sorted (key, value) pairs
    options: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True, slots=True)
class View:
    schema: str
    name: str
    definition: str
    materialized: bool = False
    columns: tuple[str, ...] = ()
    #: indexes on a materialised view
    indexes: tuple[Index, ...] = ()
    comment: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Sequence:
    schema: str
    name: str
    data_type: str = "bigint"
    start: int = 1
    increment: int = 1
    min_value: int | None = None
    max_value: int | None = None
    cycle: bool = False
    cache: int = 1
    #: "table.column" the sequence belongs to (SERIAL / identity), if any
    owned_by: str | None = None
    comment: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True, slots=True)
class UserType:
    """A user-defined type: kind "enum" (labels in order), "domain" (base type, default,
    not null, checks in `definition`), "composite" (attributes in `definition`) or
    "range" and others (their definition as SQL)."""

    schema: str
    name: str
    kind: str
    labels: tuple[str, ...] = ()
    definition: str | None = None
    comment: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Trigger:
    schema: str
    table: str
    name: str
    timing: str  # BEFORE / AFTER / INSTEAD OF
    events: tuple[str, ...]  # INSERT / UPDATE / DELETE / TRUNCATE, sorted
    #: the whole CREATE TRIGGER statement as the server normalises it
    definition: str
    enabled: bool = True

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.schema, self.table, self.name)


@dataclass(frozen=True, slots=True)
class Routine:
    schema: str
    name: str
    kind: str  # "function" / "procedure"
    #: argument list as the server prints it: part of the identity (overloads)
    arguments: str = ""
    returns: str | None = None
    language: str | None = None
    #: the whole CREATE statement as the server normalises it
    definition: str = ""
    comment: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.schema, self.name, self.arguments)


@dataclass(frozen=True, slots=True)
class Extension:
    name: str
    schema: str = ""
    version: str | None = None

    @property
    def key(self) -> tuple[str]:
        return (self.name,)


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    comment: str | None = None

    @property
    def key(self) -> tuple[str]:
        return (self.name,)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One database's schema. `dialect` is the sqlglot dialect name from the pack
    (`sql_dialect`), which decides how SQL fragments were normalised and how DDL renders."""

    dialect: str
    namespaces: tuple[Namespace, ...] = ()
    tables: tuple[Table, ...] = ()
    views: tuple[View, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    types: tuple[UserType, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    routines: tuple[Routine, ...] = ()
    extensions: tuple[Extension, ...] = ()
    #: where it came from (never hashed): database name, server fingerprint, learned_at,
    #: tool version, source kind ("live", "ddl", "file")
    source: dict = field(default_factory=dict, compare=False, hash=False)
    #: volatile numbers (never hashed): row estimates and sizes per table, object counts
    stats: dict = field(default_factory=dict, compare=False, hash=False)

    def table(self, schema: str, name: str) -> Table | None:
        if len(self.tables) < 32:
            return next((t for t in self.tables if t.schema == schema and t.name == name), None)
        for known, index in _TABLE_INDEX:
            if known is self:
                return index.get((schema, name))
        index = {}
        for t in self.tables:
            index.setdefault((t.schema, t.name), t)  # the first, as the scan above
        _TABLE_INDEX[:] = [(self, index), *_TABLE_INDEX[:3]]
        return index.get((schema, name))


#: name -> table of the last snapshots asked (records have slots: no cached attribute);
#: the planner looks tables up by name thousands of times in a 1,000-table snapshot
_TABLE_INDEX: list[tuple[Snapshot, dict]] = []


def _pickle_reducers() -> dict:
    """class -> reduce function for `pickle` (`copyreg` dispatch): a record as its class
    and its field values in order, read by one C attrgetter and rebuilt by the class. Twice
    as fast as the default for slotted dataclasses (`engine.forked` sends snapshots
    between processes)."""
    import dataclasses
    import operator

    out = {}
    for cls in list(globals().values()):
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            continue
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        get = operator.attrgetter(*names)
        if len(names) == 1:
            out[cls] = lambda o, cls=cls, get=get: (cls, (get(o),))
        else:
            out[cls] = lambda o, cls=cls, get=get: (cls, get(o))
    return out

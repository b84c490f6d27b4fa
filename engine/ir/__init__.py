"""The schema IR: frozen records (model), their canonical JSON and profile hash, the
normalisation of SQL fragments per dialect, desired-state DDL -> IR, and IR -> DDL.

    from engine import ir
    snap = ir.parse_ddl(open("schema.sql").read(), "postgres")
    ir.profile_hash(snap)           # "sha256:..."
    text = ir.dumps(snap)           # canonical JSON (docs/snapshot.md)
    assert ir.loads(text) == snap
    ir.render_ddl(snap)             # CREATE statements in dependency order
"""

from engine.ir.canonical import build_snapshot, dumps, from_json, loads, sort_snapshot, to_json
from engine.ir.hashing import hash_document, profile_hash
from engine.ir.model import (
    SNAPSHOT_FORMAT,
    Check,
    Column,
    Extension,
    ForeignKey,
    Index,
    IndexPart,
    Namespace,
    Partitioning,
    PrimaryKey,
    Routine,
    Sequence,
    Snapshot,
    Table,
    Trigger,
    UniqueConstraint,
    UserType,
    View,
)

__all__ = [
    "SNAPSHOT_FORMAT",
    "Check",
    "Column",
    "Extension",
    "ForeignKey",
    "Index",
    "IndexPart",
    "Namespace",
    "Partitioning",
    "PrimaryKey",
    "Routine",
    "Sequence",
    "Snapshot",
    "Table",
    "Trigger",
    "UniqueConstraint",
    "UserType",
    "View",
    "build_snapshot",
    "dumps",
    "from_json",
    "hash_document",
    "loads",
    "parse_ddl",
    "profile_hash",
    "render_ddl",
    "sort_snapshot",
    "to_json",
]


def parse_ddl(sql_text: str, dialect: str) -> Snapshot:
    """Desired-state DDL -> Snapshot (engine.ir.ddl.parse_ddl; imported lazily)."""
    from engine.ir.ddl import parse_ddl as _parse

    return _parse(sql_text, dialect)


def render_ddl(snapshot: Snapshot) -> list[str]:
    """Snapshot -> CREATE statements in dependency order (engine.ir.render.render_ddl)."""
    from engine.ir.render import render_ddl as _render

    return _render(snapshot)

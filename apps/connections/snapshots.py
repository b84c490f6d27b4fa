"""Writing schema snapshots: one function, so every stored schema is the engine's own text
with its own hash, and learning the same schema again adds no row.

A database's history is the list of its Snapshot rows; `DatabaseSchema.latest` points at
the newest learned one. Plans point at the snapshots they were computed between.
"""

from __future__ import annotations

from apps.connections.models import DatabaseSchema, Snapshot
from engine import ir


def store(
    workspace,
    schema,
    profile_hash: str | None = None,
    *,
    origin: str,
    database: DatabaseSchema | None = None,
    label: str = "",
    user=None,
    reuse: bool = True,
) -> Snapshot:
    """Keep `schema` (an engine Snapshot, or text `engine.ir.dumps` wrote, with its hash)
    and return its row. With `reuse`, a database's latest snapshot with the same hash is
    returned instead of a copy (same schema, same row); a labelled snapshot taken on
    request is always a row of its own."""
    if isinstance(schema, str) and not profile_hash:
        raise ValueError("stored snapshot text needs its profile hash")
    profile_hash = profile_hash or ir.profile_hash(schema)
    if reuse and database is not None and database.latest_id:
        latest = database.latest
        if latest.profile_hash == profile_hash:
            return latest
    text = schema if isinstance(schema, str) else ir.dumps(schema)
    return Snapshot.objects.create(
        workspace=workspace,
        database=database,
        origin=origin,
        label=label,
        profile_hash=profile_hash,
        profile_json=text,
        size=len(text),
        created_by=user if getattr(user, "pk", None) else None,
    )


def history(database: DatabaseSchema):
    """The database's snapshots, newest first, without their JSON text."""
    return database.snapshots.defer("profile_json").select_related("created_by")


def of_workspace(workspace):
    """Every snapshot of a database in the workspace (what a plan can start from)."""
    return (
        Snapshot.objects.filter(workspace=workspace, database__isnull=False)
        .defer("profile_json")
        .select_related("database__connection", "created_by")
    )

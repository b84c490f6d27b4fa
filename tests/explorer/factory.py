"""A big learned-looking snapshot built from engine.ir records: `n` tables in a chain of
foreign keys (table_0003.parent_id -> table_0002.id), with a view, an index, a routine and
identity/generated/default columns, so every explorer page has something real to show."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from django.utils import timezone

from apps.connections import snapshots
from apps.connections.models import DatabaseSchema, Snapshot
from engine import ir


def table_name(i: int) -> str:
    return f"table_{i:04d}"


def make_table(i: int) -> ir.Table:
    name = table_name(i)
    columns = [
        ir.Column("id", "bigint", nullable=False, identity="always"),
        ir.Column("label", "varchar(200)", nullable=False, default="'none'"),
        ir.Column("price_cents", "integer"),
        ir.Column("total", "bigint", generated="price_cents * 2", generated_stored=True),
    ]
    fks = ()
    if i > 0:
        columns.append(ir.Column("parent_id", "bigint"))
        fks = (
            ir.ForeignKey(
                f"{name}_parent_fk",
                ("parent_id",),
                "public",
                table_name(i - 1),
                ("id",),
                on_delete="CASCADE",
            ),
        )
    return ir.Table(
        schema="public",
        name=name,
        columns=tuple(columns),
        primary_key=ir.PrimaryKey(f"{name}_pkey", ("id",)),
        uniques=(ir.UniqueConstraint(f"{name}_label_key", ("label",)),),
        foreign_keys=fks,
        checks=(ir.Check(f"{name}_price_check", "price_cents >= 0"),),
        indexes=(ir.Index(f"{name}_price_idx", (ir.IndexPart(column="price_cents"),)),),
    )


def make_snapshot(n: int = 1000) -> ir.Snapshot:
    return ir.build_snapshot(
        "postgres",
        namespaces=[ir.Namespace("public")],
        tables=[make_table(i) for i in range(n)],
        views=[
            ir.View("public", "cheap_things", "SELECT id FROM table_0000", columns=("id",)),
            ir.View(
                "public",
                "totals",
                "SELECT id FROM table_0000",
                materialized=True,
                columns=("id",),
                indexes=(ir.Index("totals_id_idx", (ir.IndexPart("id"),)),),
            ),
        ],
        routines=[
            ir.Routine(
                "public",
                "double_it",
                "function",
                "x integer",
                "integer",
                "sql",
                "CREATE FUNCTION public.double_it(x integer) RETURNS integer AS 'SELECT x * 2'",
            )
        ],
        source={"database": "big"},
    )


def store_snapshot(connection, name: str, snapshot: ir.Snapshot) -> DatabaseSchema:
    """A database of `connection` learned as `snapshot` (as a learn would store it)."""
    schema, _ = DatabaseSchema.objects.get_or_create(connection=connection, name=name)
    schema.latest = snapshots.store(
        connection.workspace, snapshot, origin=Snapshot.Origin.LEARN, database=schema
    )
    schema.profile_hash = schema.latest.profile_hash
    schema.learned_at = timezone.now()
    schema.save()
    return schema


def split(url: str) -> tuple[str, str]:
    """(the URL without its password, the password): what a person types in the form."""
    parts = urlsplit(url)
    netloc = f"{parts.username}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.password or "")

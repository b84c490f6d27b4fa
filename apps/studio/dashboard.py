"""What the workspace dashboard reads: a fixed handful of bounded queries.

The dashboard is the page every member lands on, so it must cost the same on a workspace
with 30 connections and 10,000 runs as on an empty one: every list is a slice of an indexed
ordering, every count is one aggregate, related rows come in with `select_related`, and
`only()` keeps the big columns (capability JSON, plan documents and snapshots, run results)
off the wire. Audit events name every member's actions, so only members who may open the
audit page (Action.MANAGE_MEMBERS) get them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, Value, When

from apps.audit.models import AuditEvent
from apps.connections.models import Connection
from apps.jobs.actions import reap_stale_runs
from apps.jobs.models import Run
from apps.plans.models import Plan
from apps.workspaces.permissions import Action, can

MAX_CONNECTIONS = 20
RECENT_PLANS = 8
RECENT_RUNS = 8
RECENT_EVENTS = 10
HEADLINE_CHARS = 160

#: Failing servers first, then those being learned, never learned, healthy.
HEALTH_ORDER = {
    Connection.Status.FAILING: 0,
    Connection.Status.LEARNING: 1,
    Connection.Status.NEW: 2,
    Connection.Status.OK: 3,
}


@dataclass(frozen=True)
class ConnectionHealth:
    connection: Connection
    databases: int
    failing_databases: int
    error_headline: str


def error_headline(text: str) -> str:
    """The first sentence of a stored error: learn stores "headline. detail", and the
    dashboard has room for the headline only (the connection page shows the rest)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    headline = first.split(". ", 1)[0].rstrip(".")
    if len(headline) > HEADLINE_CHARS:
        return headline[: HEADLINE_CHARS - 1] + "…"
    return headline


def connection_health(workspace) -> list[ConnectionHealth]:
    rank = Case(
        *(When(status=status, then=Value(order)) for status, order in HEALTH_ORDER.items()),
        default=Value(len(HEALTH_ORDER)),
        output_field=IntegerField(),
    )
    rows = (
        Connection.objects.filter(workspace=workspace)
        .only("id", "name", "family", "status", "last_error", "last_learned_at")
        .annotate(
            rank=rank,
            n_databases=Count("databases"),
            n_failing=Count("databases", filter=Q(databases__status="failing")),
        )
        .order_by("rank", "name")[:MAX_CONNECTIONS]
    )
    return [
        ConnectionHealth(c, c.n_databases, c.n_failing, error_headline(c.last_error)) for c in rows
    ]


def counts(workspace) -> dict[str, int]:
    """Totals for the stat tiles: one aggregate per table, each on an indexed column."""
    connections = Connection.objects.filter(workspace=workspace).aggregate(
        connections=Count("id"),
        failing=Count("id", filter=Q(status=Connection.Status.FAILING)),
    )
    # Only the total: Plan has no index on state, and on SQLite reaching `state` walks the
    # overflow pages of both stored snapshots (MBs per plan on a big database).
    plans = {"plans": Plan.objects.filter(workspace=workspace).count()}
    runs = Run.objects.filter(workspace=workspace).aggregate(
        runs=Count("id"), runs_open=Count("id", filter=Q(state__in=Run.OPEN))
    )
    members = {"members": workspace.memberships.count()}
    return {**connections, **plans, **runs, **members}


def recent_plans(workspace) -> list[Plan]:
    """The newest plans without their documents. On SQLite this is still the dashboard's
    dearest query on a big database: `state`, `created_at` and `created_by` sit after the
    two stored snapshots in the row, so each of these rows walks their overflow pages
    (docs/benchmarks.md, "Studio pages")."""
    return list(
        Plan.objects.filter(workspace=workspace)
        .select_related("connection", "created_by")
        .only(
            "id",
            "title",
            "state",
            "database",
            "created_at",
            "connection__id",
            "connection__name",
            "created_by__id",
            "created_by__email",
        )
        .order_by("-created_at", "-pk")[:RECENT_PLANS]
    )


def recent_runs(workspace) -> list[Run]:
    return list(
        Run.objects.filter(workspace=workspace)
        .select_related("created_by")
        .only(
            "id",
            "kind",
            "state",
            "percent",
            "step",
            "target_label",
            "error",
            "created_at",
            "created_by__id",
            "created_by__email",
        )
        .order_by("-created_at", "-pk")[:RECENT_RUNS]
    )


def recent_events(workspace, role: str | None) -> list[AuditEvent] | None:
    """None (not an empty list) for members who may not see the audit timeline, so the
    page leaves the section out rather than saying "no events"."""
    if not can(role, Action.MANAGE_MEMBERS):
        return None
    return list(
        AuditEvent.objects.filter(workspace=workspace)
        .only(
            "id",
            "seq",
            "occurred_at",
            "actor_label",
            "action",
            "target_label",
            "outcome",
        )
        .order_by("-seq")[:RECENT_EVENTS]
    )


def dashboard_context(workspace, membership) -> dict:
    """Everything the dashboard template shows. Runs whose worker died are closed first
    (one indexed query when none is stale), so the page never lists a dead job as running."""
    reap_stale_runs(workspace)
    return {
        "health": connection_health(workspace),
        "counts": counts(workspace),
        "plans": recent_plans(workspace),
        "runs": recent_runs(workspace),
        "events": recent_events(workspace, membership.role if membership else None),
        "more_connections": MAX_CONNECTIONS,
    }

"""Learn a connection: what the server can do, and each database's schema as an IR snapshot.

The same steps as `sqlx learn` (engine/cli.py): `learn_server` once, then `learn_database`
per database with the server's fingerprint, through one policy-checked session. What is
stored is exactly what the engine produced: `capability_json` is `LearnedServer.to_json()`,
each database's schema is a `Snapshot` row holding `engine.ir.dumps(snapshot)` and the
engine's `profile_hash` (a new row only when the schema changed: the database's history),
so anyone can re-check a stored snapshot against its hash.

Failures become a status and a message (never a traceback): one database that cannot be
read is marked failing and the others are still learned; a connection that cannot be
opened (or breaks) marks the connection failing. Each run appends one `learn` audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from apps.connections import snapshots
from apps.connections.diagnose import explain
from apps.connections.models import Connection, DatabaseSchema, Snapshot
from apps.connections.policy import open_session
from apps.secrets.errors import SecretUnavailable
from apps.workspaces.actions import ActionRefused
from engine import errors
from engine.flo import learn_database, learn_server, list_databases


@dataclass
class LearnResult:
    ok: bool
    message: str = ""
    refused: bool = False  # the policy (or a lease limit) said no before connecting
    learned: dict[str, str] = field(default_factory=dict)  # database -> profile hash
    failed: dict[str, str] = field(default_factory=dict)  # database -> why


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _save_database(connection: Connection, name: str, learned=None, error="", user=None) -> None:
    with transaction.atomic():
        schema, _ = DatabaseSchema.objects.select_for_update().get_or_create(
            connection=connection, name=name
        )
        if learned is None:  # keep the last good snapshot; say why it is stale
            schema.status, schema.last_error = DatabaseSchema.Status.FAILING, error
            schema.save(update_fields=["status", "last_error"])
            return
        schema.latest = snapshots.store(
            connection.workspace,
            learned.snapshot,
            learned.profile_hash,
            origin=Snapshot.Origin.LEARN,
            database=schema,
            user=user,
        )
        schema.profile_hash = learned.profile_hash
        schema.status, schema.last_error = DatabaseSchema.Status.OK, ""
        schema.learned_at = timezone.now()
        schema.save(update_fields=["latest", "profile_hash", "status", "last_error", "learned_at"])


def _learn_databases(connection, session, server, wanted, result, user, progress) -> None:
    available = list_databases(session, include_system=bool(wanted))
    names = list(wanted) if wanted else available
    missing = [n for n in names if n not in available]
    if missing:
        result.message = (
            f"No database {', '.join(missing)} on this server "
            f"(it has: {', '.join(available) or 'none'})."
        )
    names = [n for n in names if n not in missing]
    for done, name in enumerate(names):
        progress(done, len(names), name)
        try:
            learned = learn_database(session, name, server_fingerprint=server.fingerprint)
        except errors.EngineError as exc:
            if session.closed:
                raise  # the link is gone: nothing more can be learned this run
            result.failed[name] = one_line(exc)
            _save_database(connection, name, error=result.failed[name])
        else:
            result.learned[name] = learned.profile_hash
            _save_database(connection, name, learned, user=user)


def _finish(connection: Connection, user, result: LearnResult, server=None) -> LearnResult:
    """Store the outcome on the connection and append the `learn` event, together."""
    from apps.audit.log import record

    now = timezone.now()
    failed = bool(result.failed or result.message) or not result.ok
    fields = {
        "status": Connection.Status.FAILING if failed else Connection.Status.OK,
        "last_error": result.message
        or "; ".join(f"{name}: {why}" for name, why in result.failed.items()),
    }
    if server is not None:
        fields.update(
            capability_json=server.to_json(),
            server_fingerprint=server.fingerprint,
            last_learned_at=now,
        )
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(updated_at=now, **fields)
        for key, value in fields.items():
            setattr(connection, key, value)
        details = {"databases": result.learned, "failed": sorted(result.failed)}
        if result.message:
            details["error"] = result.message
        outcome = "refused" if result.refused else "failed" if failed else "ok"
        record(
            connection.workspace, user, "learn", target=connection, outcome=outcome, details=details
        )
    return result


def _quiet(done: int, total: int, name: str) -> None:
    pass


def learn_connection(
    connection: Connection, user=None, databases=None, progress=_quiet
) -> LearnResult:
    """Learn the server and `databases` (default: every user database on it).
    `progress(done, total, name)` is called before each database is read."""
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.LEARNING)
    result = LearnResult(ok=True)
    server = None
    try:
        with open_session(connection, user, why="learn") as session:
            server = learn_server(session)
            _learn_databases(connection, session, server, databases, result, user, progress)
    except (ActionRefused, SecretUnavailable, errors.EngineError) as exc:
        outcome = explain(exc, connection)
        result.ok, result.refused = False, isinstance(exc, ActionRefused)
        result.message = f"{outcome.headline}. {outcome.detail}".strip()
    return _finish(connection, user, result, server)


def learn_stopped(sender, run, **kwargs) -> None:
    """A learn whose worker died must not leave its connection "learning" for ever."""
    if run.kind != "learn" or run.target_type != Connection._meta.label:
        return
    Connection.objects.filter(pk=run.target_id, status=Connection.Status.LEARNING).update(
        status=Connection.Status.FAILING, last_error=f"The last learn did not finish: {run.error}"
    )

"""Compute a plan: learn the target's live schema, read the desired side, ask the engine.

The engine's own source loader (`engine.planner.sources.load_source`) dials URLs itself;
the platform may only reach a server through `apps.connections.policy.open_session`
(policy, lease, audited secret read), so the sides are built here from sessions it opens.
The "from" side is always the target database as it is now; the "to" side is another
live database, a stored snapshot, or desired-state SQL. SQL is run in a scratch database
on the target's server and learned back (as `sqlx plan:diff` does), so the plan's target
hash is what the server will report after apply; a user who may not create databases gets
the parser's reading and a note saying so.

Online strategies are chosen from the server's learned capabilities: without the
`online_apply` entitlement the planner is handed none, and every operation stays plain.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass

from apps.connections.policy import open_session
from apps.licensing.entitlements import has_entitlement
from engine import errors, ir
from engine.cli_plan import parse_renames
from engine.flo import learn_server
from engine.flo.database import learn_database
from engine.planner import make_plan
from engine.planner.hints import renames_from_sql
from engine.planner.online import capabilities_of
from engine.planner.sources import Source


@dataclass(frozen=True)
class Computed:
    plan: object  # engine.planner.model.Plan
    before: object  # engine Snapshot the plan starts from
    after: object  # engine Snapshot it leads to, in the target's dialect


def _learn(session, database: str, label: str) -> Source:
    server = learn_server(session)
    learned = learn_database(session, database, server_fingerprint=server.fingerprint)
    snapshot = learned.snapshot
    source = {**snapshot.source, "server": server.fingerprint, "connection": label}
    return Source(
        kind="live",
        label=label,
        snapshot=dataclasses.replace(snapshot, source=source),
        capabilities=capabilities_of(server),
        profile_hash=learned.profile_hash,
    )


def learn_side(connection, database: str, user, why: str) -> Source:
    with open_session(connection, user, why=why) as session:
        return _learn(session, database, f"{connection.name}/{database}")


def sql_side(text: str, dialect: str, session=None) -> Source:
    """Desired-state DDL, normalised through `session`'s server when one is given."""
    try:
        snapshot = ir.parse_ddl(text, dialect)
    except errors.EngineError as exc:
        raise errors.PlanError(f"the desired-state SQL does not parse: {exc}") from None
    snapshot = dataclasses.replace(snapshot, source={"kind": "ddl", "file": "desired SQL"})
    side = Source(
        kind="ddl",
        label="desired SQL",
        snapshot=snapshot,
        renames=renames_from_sql(text, dialect),
        ddl=text,
    )
    return _normalised(side, session) if session is not None else side


def _normalised(side: Source, session) -> Source:
    from engine.planner.apply import target_database
    from engine.planner.journal import family_spec
    from engine.planner.rehearse import scratch_database
    from engine.session import connect as connect_config

    try:
        with (
            scratch_database(session) as (cfg, name, label),
            contextlib.closing(connect_config(cfg)) as scratch,
        ):
            try:
                scratch.query(side.ddl)
            except errors.ServerError as exc:
                raise errors.PlanError(f"the desired-state SQL does not run: {exc}") from None
            db = target_database(scratch, family_spec(scratch), name)
            snapshot = learn_database(scratch, db).snapshot
    except errors.PlanRefused as exc:
        source = {**side.snapshot.source, "normalised": f"no: {exc.message}"}
        return dataclasses.replace(side, snapshot=dataclasses.replace(side.snapshot, source=source))
    source = {"kind": "ddl", "file": side.label, "normalised": f"by the server ({label})"}
    return dataclasses.replace(side, snapshot=dataclasses.replace(snapshot, source=source))


def _other_side(plan, user) -> Source:
    """A stored snapshot, or another live database (learned on its own session)."""
    if plan.source_kind == plan.Source.SNAPSHOT:
        from apps.plans.actions import snapshot_label

        stored = plan.source_snapshot
        return Source(
            kind="snapshot",
            label=snapshot_label(stored),
            snapshot=stored.ir(),
            profile_hash=stored.profile_hash,
        )
    if plan.source_connection is None:
        raise errors.PlanError("the source connection of this plan is gone: plan again")
    return learn_side(
        plan.source_connection, plan.source_database, user, why=f"plan #{plan.pk} source"
    )


def compute(plan, user) -> Computed:
    """The engine plan for `plan` (a models.Plan), connecting as `user`. Raises engine
    errors, ActionRefused (policy) or SecretUnavailable; the caller turns them into words."""
    renames = parse_renames([line.strip() for line in plan.renames.splitlines() if line.strip()])
    online = has_entitlement(plan.workspace, "online_apply")
    label = f"{plan.connection.name}/{plan.database}"
    with open_session(plan.connection, user, why=f"plan #{plan.pk}") as session:
        current = _learn(session, plan.database, label)
        dialect = current.snapshot.dialect
        is_sql = plan.source_kind == plan.Source.SQL
        desired = sql_side(plan.desired_sql, dialect, session) if is_sql else None
    if desired is None:
        desired = _other_side(plan, user)
    result = make_plan(current, desired, renames=renames, capabilities=None if online else {})
    after = desired.snapshot
    if after.dialect != dialect:
        from engine.ir.convert import convert

        after = convert(after, dialect).snapshot
    return Computed(result, current.snapshot, after)

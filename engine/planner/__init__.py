"""The planner: two schemas in, one explainable plan out; and the plan applied online.

    from engine.planner import make_plan, load_source
    plan = make_plan(load_source(url), load_source("desired.sql", dialect="postgres"))
    for op in plan.operations:
        print(op.id, op.kind, op.target, op.risk.level, op.sql)

Stages (each its own module, each a pure function of its inputs except apply):
diff (what changes, in dependency order) -> online (how: strategies from learned
capabilities) -> risk (how dangerous) -> lint (what a reviewer must know). `serial` reads
and writes plan JSON, `apply` runs a plan with checkpoints, `rehearse` runs it on a scratch
copy first. Cross-dialect sources are converted (engine.ir.convert) before diffing, and
every lossy mapping becomes a finding.
"""

from __future__ import annotations

import dataclasses
import datetime

from engine.planner.model import Plan, PlanContext, Rename
from engine.planner.sources import Source, load_source, table_sizes

__all__ = ["Plan", "PlanContext", "Rename", "Source", "load_source", "make_plan"]


def make_plan(
    source: Source,
    target: Source,
    *,
    renames: tuple[Rename, ...] = (),
    capabilities: dict | None = None,
    large_table_rows: int = 100_000,
) -> Plan:
    """The plan that turns `source`'s schema into `target`'s, for `source`'s server.

    Capabilities come from a live source side (or `capabilities`); without them the
    strategies stay conservative and say so. Declared renames: `renames` plus any
    annotations in a .sql target.
    """
    from engine.ir.hashing import profile_hash, profile_hash_records
    from engine.planner import diff, lint, online, risk
    from engine.planner.apply_checks import object_digests

    from_snap = source.snapshot
    to_snap, losses = _in_dialect(target.snapshot, from_snap.dialect)
    rows, sizes = table_sizes(from_snap)
    context = PlanContext(
        dialect=from_snap.dialect,
        from_snapshot=from_snap,
        to_snapshot=to_snap,
        capabilities=dict(capabilities if capabilities is not None else source.capabilities),
        table_rows=rows,
        table_bytes=sizes,
        large_table_rows=large_table_rows,
        renames=tuple(renames) + tuple(target.renames),
        losses=losses,
    )
    ops = diff.diff(from_snap, to_snap, context)
    ops = online.choose(ops, context)
    ops = tuple(dataclasses.replace(op, risk=risk.assess(op, context)) for op in ops)
    # the target's column-order-aside document is hashed once: its hash and the texts of
    # its objects (their digests), unless the process that learned it made both already;
    # a learned side's profile hash is known already
    if target.digests is not None and target.digests[0] is to_snap and target.unordered_hash:
        unordered_hash, to_digests = target.unordered_hash, target.digests[1]
    else:
        unordered_hash, to_records = profile_hash_records(to_snap, column_order=False)
        to_digests = object_digests(to_snap, to_records)
    same_target = to_snap is target.snapshot and target.profile_hash
    plan = Plan(
        dialect=context.dialect,
        source_hash=source.profile_hash or profile_hash(from_snap),
        target_hash=target.profile_hash if same_target else profile_hash(to_snap),
        target_hash_unordered=unordered_hash,
        operations=ops,
        renames=context.renames,
        suspected_renames=diff.suspected_renames(from_snap, to_snap, context),
        capabilities=context.capabilities,
        source={
            # a digest per object of both sides: apply names what drifted, object by
            # object, without the plan carrying whole snapshots (megabytes at scale)
            "from": {**source.describe(), "objects": _digests(source, from_snap)},
            "to": {**target.describe(), "objects": to_digests},
            "created_at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
            "tool": _tool_version(),
        },
    )
    return dataclasses.replace(plan, findings=lint.check(plan, context))


def _digests(side: Source, snapshot) -> dict:
    """The side's per-object digests: computed already where the side was learned."""
    from engine.planner.apply_checks import object_digests

    if side.digests is not None and side.digests[0] is snapshot:
        return side.digests[1]
    return object_digests(snapshot)


def _in_dialect(snapshot, dialect: str):
    """`snapshot` in `dialect` (converted when it was written for another), and the losses."""
    if snapshot.dialect == dialect:
        return snapshot, ()
    from engine.ir.convert import convert

    conversion = convert(snapshot, dialect)
    return conversion.snapshot, tuple(conversion.losses)


def _tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nublox-sqlx")
    except PackageNotFoundError:
        return "dev"

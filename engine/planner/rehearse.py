"""Rehearsal: prove a plan runs by applying it to a scratch copy of its source first.

    report = rehearse(session, plan, source_snapshot, accept_hazards={"INDEX_BUILD"})

Where the server lets the tool create a database (journal.json `rehearse`: the CREATE /
DROP DATABASE templates, or a temporary file for file-backed families), a scratch database
is built from the source snapshot with `engine.ir.render_ddl`, the plan is applied there
with the same guardrails and verification as for real, and the scratch database is dropped
in every case (success, failure, refusal, interruption). The scratch copy holds the schema
only, no rows: a rehearsal proves the statements are valid and lead to the target, not
how long they take or that existing data satisfies new constraints.

A user who cannot create databases gets a PlanRefused that says so (nothing was changed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

from engine import errors
from engine.errors import PlanError, PlanRefused
from engine.ir import render_ddl
from engine.ir.model import Snapshot
from engine.planner.apply import apply_plan
from engine.planner.apply_report import ApplyReport
from engine.planner.journal import family_spec, matches
from engine.planner.model import Plan


def rehearse(
    session: Any, plan: Plan, source_snapshot: Snapshot, **apply_options: Any
) -> ApplyReport:
    """Apply `plan` to a scratch database built from `source_snapshot` on `session`'s
    server; the report's action is "rehearse". `apply_options` go to apply_plan
    (allow_destructive, accept_hazards, policy, progress, lock_retries, ...)."""
    if source_snapshot.dialect != plan.dialect:
        raise PlanError(
            f"the source snapshot is {source_snapshot.dialect!r}, the plan is for {plan.dialect!r}"
        )
    with scratch_database(session) as (cfg, name, label):
        report = _rehearse_on(cfg, plan, source_snapshot, name, apply_options, label)
    notes = (*report.notes, f"rehearsed on {label}, built from the source snapshot; dropped")
    return dataclasses.replace(report, action="rehearse", notes=notes)


@contextlib.contextmanager
def scratch_database(session: Any) -> Iterator[tuple[Any, str | None, str]]:
    """A throwaway database on `session`'s server (journal.json `rehearse`: CREATE / DROP
    DATABASE templates, or a temporary file for file-backed families), dropped however the
    block ends. Yields (ConnectConfig for it, its name or None, a label for messages).
    PlanRefused when the server cannot or the user may not create one."""
    spec = family_spec(session)
    scratch = spec.get("rehearse")
    if not scratch:
        raise PlanRefused(
            f"no scratch database on this server: transports/{spec['_folder']}/journal.json "
            "declares no way to create one"
        )
    token = secrets.token_hex(4)
    field = scratch.get("field", "database")
    tmpdir = None
    name: str | None = None
    if field == "path":
        tmpdir = tempfile.mkdtemp(prefix="sqlx-scratch-")
        cfg = dataclasses.replace(session.cfg, path=os.path.join(tmpdir, "scratch.db"))
        label = "a temporary file"
    else:
        name = scratch["name"].format(token=token)
        _create(session, scratch, name)
        cfg = dataclasses.replace(session.cfg, **{field: name})
        label = f"scratch database {name}"
    try:
        yield cfg, name, label
    except BaseException:
        with contextlib.suppress(errors.EngineError):  # the first failure is the one to see
            _cleanup(session, scratch, name, tmpdir)
        raise
    _cleanup(session, scratch, name, tmpdir)


def _create(session: Any, scratch: dict[str, Any], name: str) -> None:
    try:
        for sql in scratch.get("create") or ():
            session.execute(sql.format(name=name))
    except errors.ServerError as exc:
        if matches(scratch.get("refused"), exc):
            raise PlanRefused(
                f"cannot rehearse: this user may not create a scratch database ({exc}); "
                "grant the right to create databases or apply without rehearsal",
                rehearse={"error": str(exc)},
            ) from None
        raise


def _cleanup(session: Any, scratch: dict[str, Any], name: str | None, tmpdir: str | None) -> None:
    """Drop the scratch database / remove the file; always attempted."""
    if tmpdir is not None:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if name is not None:
        for sql in scratch.get("drop") or ():
            session.execute(sql.format(name=name))


def _rehearse_on(
    cfg: Any, plan: Plan, snapshot: Snapshot, name: str | None, options: dict, label: str
) -> ApplyReport:
    from engine.session import connect

    with contextlib.closing(connect(cfg)) as scratch:
        for sql in render_ddl(snapshot):
            scratch.execute(sql)
        try:
            return apply_plan(scratch, plan, database=name, **options)
        except PlanRefused as exc:
            if "drift" not in exc.details:
                raise
            raise PlanRefused(
                f"rehearsal: {label} built from the source snapshot does not hash to the "
                f"plan's source (the snapshot is not the one the plan was computed from, or "
                f"it does not round-trip through DDL): {exc.message}",
                **exc.details,
            ) from None

"""Apply a plan to a live database, resume an interrupted apply, roll a plan back.

    report = apply_plan(session, plan, allow_destructive=True, accept_hazards={"INDEX_BUILD"})
    report.status   # "applied" / "resumed" / "noop" / "dry_run" / "failed"
    rollback_plan(session, plan)

Order of business (nothing is changed before the last check passed):
1. guardrails (engine.planner.apply_checks): DATA_LOSS needs `allow_destructive`; every
   other hazard must be in `accept_hazards`; `policy(plan)` may veto;
2. the journal (`_sqlx_journal`, engine.planner.journal) says whether this plan was
   already applied, half applied, or is being rolled back;
3. drift: unless a run is being resumed, the live schema must hash to `plan.source_hash`;
   a database already at the target is reported as "noop";
4. execution (engine.planner.apply_exec) with a checkpoint per step;
5. verification: re-learn; the result must hash to `plan.target_hash_unordered`.

Resume rule (why an interrupted apply can simply be run again):
- a step whose journal row is "done" is never run again (its effect is committed, because
  the done row is written in the same transaction as the step, or after it autocommitted);
- a step that ran inside a transaction and has no "done" row did not happen: the
  transaction never committed (a checkpoint commits exactly with its work), so it re-runs;
- a step that ran autocommitted (no transactional DDL, or `transactional=False`) and was
  cut off without an answer ("started", or "failed" with "interrupted: ...") may or may
  not have taken effect. One DDL statement is atomic on the supported servers, so it did
  all or nothing: the step runs again (executors that can leave debris, such as a killed
  concurrent index build, clean it first themselves: see engine.planner.online_steps;
  `ctx.extra["resumed"]` tells them it is a re-run), and an error of the family's
  "already in that state" class (journal.json errors.already_applied: object exists / does
  not exist) means the interrupted run had completed it: it is recorded done with a note.
  An executor that saved state resumes from it. A step that failed with an answer from
  the server did not take effect and simply runs again;
- the drift check is skipped on resume (the live schema is between source and target by
  design); the final verification against the target hash is the safety net for all of
  the above.

One apply or rollback at a time per database: the family's apply lock (journal.json
`apply_lock`, held by the apply session, freed by the server however the session ends);
a second one is refused (PlanRefused) rather than queued.

Rollback rule: the operations to undo are those with at least one applied step in the
latest run (or, without a journal, all of them when the live schema is at the target),
undone in reverse order with each op's rollback steps, checkpointed in the journal
(phase "rollback"); the apply rows of an undone op become "rolled_back". An op with no
rollback (`irreversible`) refuses the whole rollback (PlanRefused listing them) unless
`allow_destructive` is given: then those ops are left in place, named in the report, and
the rest is undone (verification against the source is then skipped: it cannot match).
Undo steps of a partially applied op run with the same "already in that state" tolerance.
Rollback also works after a complete apply (the live schema must still be the target).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from engine import errors
from engine.errors import PlanError, PlanRefused
from engine.planner.apply_checks import (
    check_guardrails,
    drift_lines,
    drift_refusal,
    learn_live,
    only_column_order,
    plan_snapshot,
)
from engine.planner.apply_exec import INTERRUPTED, Runner, StepFailed, Unit
from engine.planner.apply_report import ApplyReport, OpResult
from engine.planner.journal import Journal, Row, Run, family_spec, new_run_id, now
from engine.planner.model import Operation, Plan

__all__ = ["ApplyReport", "OpResult", "apply_plan", "rollback_plan", "target_database"]


def target_database(session: Any, spec: dict[str, Any], database: str | None) -> str:
    """The database to change: `database`, else the session's, else the family's default
    (journal.json `default_database`, e.g. the in-process file's "main"); the session is
    switched to it where the family changes database per session (`switch_database`)."""
    db = database or session.cfg.database or spec.get("default_database")
    if not db:
        raise errors.ConfigError("no database to apply to: the URL names none; pass database=")
    if spec.get("switch_database") and session.cfg.database != db:
        session.use(db)
    return db


def transactional_ddl(session: Any, plan: Plan) -> bool:
    """From the plan's capabilities, else learned from the server (FLO probes)."""
    cap = (
        plan.capabilities.get("transactional_ddl") if isinstance(plan.capabilities, dict) else None
    )
    if isinstance(cap, dict):
        cap = cap.get("supported")
    if cap is None:
        from engine.flo import learn_server

        cap = learn_server(session).supports("transactional_ddl")
    return bool(cap)


def check_plan(plan: Plan) -> None:
    ids = [op.id for op in plan.operations]
    if len(set(ids)) != len(ids) or not all(ids):
        raise PlanError("plan operations need unique, non-empty ids")
    for op in plan.operations:
        if op.rollback is None and not op.irreversible:
            raise PlanError(f"{op.id}: no rollback and no `irreversible` reason")


def _target(op: Operation) -> str:
    return str(op.target)


def _uncertain(row: Row | None) -> bool:
    return row is not None and (
        row.status == "started"
        or (row.status == "failed" and (row.error or "").startswith(INTERRUPTED))
    )


class _Context:
    """What one apply/rollback call works with; closes the journal's writer at the end."""

    def __init__(self, session: Any, plan: Plan, database: str | None) -> None:
        check_plan(plan)
        self.session = session
        self.plan = plan
        self.spec = family_spec(session)
        self.database = target_database(session, self.spec, database)
        self.journal = Journal(session, self.spec, plan)
        self.started = time.perf_counter()

    def ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0

    def report(self, status: str, action: str, run_id: str | None, **kw: Any) -> ApplyReport:
        return ApplyReport(status, action, self.database, run_id, elapsed_ms=self.ms(), **kw)

    def latest_run(self) -> Run | None:
        run = self.journal.latest(missing_ok=True)
        if run is not None and run.plan_digest != self.journal.digest:
            if run.state(self.plan) in ("interrupted", "rolling_back"):
                raise PlanRefused(
                    f"run {run.run_id} of another plan with the same source and target hashes "
                    "is unfinished: finish it or roll it back with that plan first",
                    journal={"run_id": run.run_id, "plan_digest": run.plan_digest},
                )
            return None
        return run


def _noop(ctx: _Context, action: str, run_id: str | None, message: str) -> ApplyReport:
    ops = tuple(
        OpResult(op.id, op.kind, _target(op), "skipped" if action == "apply" else "not_applied")
        for op in ctx.plan.operations
    )
    return ctx.report("noop", action, run_id, operations=ops, message=message)


def _results(
    ctx: _Context,
    runner: Runner | None,
    planned: dict[str, str],
    failed: StepFailed | None,
    phase: str = "apply",
) -> tuple[OpResult, ...]:
    out = []
    for op in ctx.plan.operations:
        steps = op.steps if phase == "apply" else op.rollback or ()
        status = planned[op.id]
        stats = runner.stats.get(op.id) if runner else None
        error = None
        if failed is not None and failed.unit.op.id == op.id:
            status, error = "failed", failed.message
        out.append(
            OpResult(
                op.id,
                op.kind,
                _target(op),
                status,
                steps_run=stats.steps_run if stats else 0,
                steps_total=len(steps),
                elapsed_ms=stats.elapsed_ms if stats else 0.0,
                attempts=stats.attempts if stats else 0,
                error=error,
                notes=tuple(stats.notes) if stats else (),
            )
        )
    return tuple(out)


def _failure_message(ctx: _Context, failed: StepFailed, action: str) -> str:
    unit = failed.unit
    op = unit.op
    where = f"{op.id} ({op.kind} on {op.target}) {unit.phase} step {unit.index + 1}/{unit.total}"
    advice = (
        "run the same plan again to resume from the last checkpoint, or roll it back"
        if action == "apply"
        else "run the rollback again to resume it"
    )
    return f"{action} stopped at {where}: {failed.message}. The journal records where; {advice}."


def apply_plan(
    session: Any,
    plan: Plan,
    *,
    database: str | None = None,
    dry_run: bool = False,
    allow_destructive: bool = False,
    accept_hazards: Iterable[str] = frozenset(),
    policy: Callable[[Plan], list[str]] | None = None,
    progress: Callable | None = None,
    verify: bool = True,
    throttle_ms: int = 0,
    paused: Callable[[], bool] | None = None,
    lock_retries: int = 3,
    source_snapshot: Any = None,
) -> ApplyReport:
    """Apply `plan` (see the module docstring). Refusals raise PlanRefused before anything
    changes; a failure during the run returns a report with status "failed".
    `source_snapshot`: the snapshot the plan was computed from, to show drift in detail
    when the plan does not carry it. `progress(op, step, done, total)` after each step."""
    ctx = _Context(session, plan, database)
    check_guardrails(
        plan, allow_destructive=allow_destructive, accept_hazards=accept_hazards, policy=policy
    )
    try:
        if not dry_run:
            ctx.journal.acquire(ctx.database)
        live = learn_live(session, ctx.database)
        run = ctx.latest_run()
        state = run.state(plan) if run else None
        if state == "rolling_back":
            raise PlanRefused(
                f"a rollback of this plan (run {run.run_id}) is unfinished: run rollback again "
                "to finish it before applying",
                journal={"run_id": run.run_id, "state": state},
            )
        resume = run if state == "interrupted" else None
        reordered = False
        if resume is None:
            if live.hash_unordered == plan.target_hash_unordered and live.hash != plan.source_hash:
                done_by = f" (journal run {run.run_id})" if state == "complete" else ""
                return _noop(
                    ctx,
                    "apply",
                    run.run_id if run else None,
                    f"already applied{done_by}: the live schema hashes to the plan's target",
                )
            reordered = live.hash != plan.source_hash and only_column_order(plan, live)
            if live.hash != plan.source_hash and not reordered:
                expected = source_snapshot or plan_snapshot(plan, "from")
                raise drift_refusal(plan, live, expected, "apply refused, the database drifted")
        units, planned = _apply_units(plan, resume)
        if not units:
            return _noop(ctx, "apply", None, "nothing to do: the plan has no steps")
        if dry_run:
            sql = tuple(u.step.sql for u in units)
            planned = {k: ("would_run" if v == "pending" else v) for k, v in planned.items()}
            message = f"dry run: {len(units)} steps would run" + (
                f", resuming run {resume.run_id}" if resume else ""
            )
            return ctx.report(
                "dry_run",
                "apply",
                resume.run_id if resume else None,
                operations=_results(ctx, None, planned, None),
                sql=sql,
                message=message,
            )
        ctx.journal.ensure()
        run_id = resume.run_id if resume else new_run_id()
        runner = Runner(
            session,
            ctx.spec,
            ctx.journal,
            run_id,
            transactional_ddl=transactional_ddl(session, plan),
            progress=progress,
            paused=paused,
            throttle_ms=throttle_ms,
            lock_retries=lock_retries,
            total=len(units),
        )
        try:
            runner.run(units)
        except StepFailed as failed:
            todo = Counter(u.op.id for u in units)
            for op_id, stats in runner.stats.items():
                if planned[op_id] == "pending" and stats.steps_run == todo[op_id]:
                    planned[op_id] = "done"  # finished before the failure
            return ctx.report(
                "failed",
                "apply",
                run_id,
                operations=_results(ctx, runner, planned, failed),
                message=_failure_message(ctx, failed, "apply"),
                failed_op=failed.unit.op.id,
                failed_step=failed.unit.index,
            )
        finally:
            if not session.closed:
                runner.reset_timeouts()
        planned = {k: ("done" if v == "pending" else v) for k, v in planned.items()}
        status = "resumed" if resume else "applied"
        notes = (f"resumed journal run {run_id}",) if resume else ()
        if resume is None and reordered:
            notes += (REORDERED_NOTE,)
        ops = _results(ctx, runner, planned, None)
        if not verify:
            return ctx.report(
                status,
                "apply",
                run_id,
                operations=ops,
                notes=notes,
                message=f"{status}: {len(units)} steps ran (not verified)",
            )
        return _verify_apply(ctx, run_id, status, ops, notes, len(units))
    finally:
        ctx.journal.close()


REORDERED_NOTE = (
    "the live columns are in another order than when the plan was computed (a shadow-column "
    "change and its rollback move a column to the end); every object matched otherwise"
)


def _apply_units(plan: Plan, resume: Run | None) -> tuple[list[Unit], dict[str, str]]:
    units: list[Unit] = []
    planned: dict[str, str] = {}
    for op in plan.operations:
        pending = 0
        for i, step in enumerate(op.steps):
            row = resume.row(op.id, "apply", i) if resume else None
            if row is not None and row.status == "done":
                continue
            pending += 1
            units.append(
                Unit(
                    op,
                    "apply",
                    i,
                    step,
                    len(op.steps),
                    state=row.state if row else None,
                    tolerant=_uncertain(row),
                    resumed=row is not None,
                )
            )
        planned[op.id] = "skipped" if pending == 0 else "pending"
    return units, planned


def _verify_apply(ctx: _Context, run_id: str, status: str, ops: tuple, notes: tuple, n: int):
    plan = ctx.plan
    after = learn_live(ctx.session, ctx.database)
    if after.hash_unordered == plan.target_hash_unordered:
        return ctx.report(
            status,
            "apply",
            run_id,
            operations=ops,
            notes=notes,
            verified=True,
            verification_hash=after.hash_unordered,
            message=f"{status}: {n} steps ran; the database now hashes to the plan's target",
        )
    drift = drift_lines(plan, "to", plan_snapshot(plan, "to"), after.snapshot)
    message = (
        f"applied, but verification failed: the database hashes to {after.hash_unordered} "
        f"(column order aside), the plan's target is {plan.target_hash_unordered}"
        + (":\n  " + "\n  ".join(drift) if drift else "")
        + f"\nThe changes stay in place; rollback_plan (sqlx rollback URL --plan ...) undoes "
        f"them using journal run {run_id}."
    )
    return ctx.report(
        "failed",
        "apply",
        run_id,
        operations=ops,
        notes=notes,
        verified=False,
        verification_hash=after.hash_unordered,
        drift=drift,
        message=message,
    )


# -- rollback ----------------------------------------------------------------------------


def rollback_plan(
    session: Any,
    plan: Plan,
    *,
    database: str | None = None,
    dry_run: bool = False,
    allow_destructive: bool = False,
    policy: Callable[[Plan], list[str]] | None = None,
    progress: Callable | None = None,
    verify: bool = True,
    throttle_ms: int = 0,
    paused: Callable[[], bool] | None = None,
    lock_retries: int = 3,
    source_snapshot: Any = None,
) -> ApplyReport:
    """Undo what the journal says was applied of `plan` (see the module docstring)."""
    ctx = _Context(session, plan, database)
    if policy is not None:
        vetoes = [str(v) for v in policy(plan) or ()]
        if vetoes:
            raise PlanRefused("rollback refused: policy: " + "; ".join(vetoes), policy=vetoes)
    try:
        if not dry_run:
            ctx.journal.acquire(ctx.database)
        live = learn_live(session, ctx.database)
        run = ctx.latest_run()
        state = run.state(plan) if run else None
        if state == "rolled_back" or (run is None and live.hash == plan.source_hash):
            why = (
                f"journal run {run.run_id} was rolled back"
                if run
                else "the live schema is the plan's source"
            )
            return _noop(
                ctx, "rollback", run.run_id if run else None, f"nothing to roll back: {why}"
            )
        if state in (None, "complete") and live.hash_unordered != plan.target_hash_unordered:
            expected = plan_snapshot(plan, "to")
            what = "rollback refused, the database is not at the plan's target"
            raise drift_refusal(plan, live, expected, what, side="to")
        adopted = run is None
        undo = [op for op in plan.operations if adopted or run.applied_steps(op.id) > 0]
        irreversible = [op for op in undo if op.rollback is None]
        if irreversible and not allow_destructive:
            listed = "; ".join(f"{op.id} ({op.irreversible})" for op in irreversible)
            raise PlanRefused(
                f"rollback refused: irreversible operations were applied: {listed}. Pass "
                "allow_destructive (sqlx: --allow-destructive) to undo the rest and leave "
                "these in place",
                irreversible={op.id: op.irreversible for op in irreversible},
            )
        units, planned = _rollback_units(plan, run, undo)
        if dry_run:
            return ctx.report(
                "dry_run",
                "rollback",
                run.run_id if run else None,
                operations=_results(
                    ctx,
                    None,
                    {k: ("would_run" if v == "pending" else v) for k, v in planned.items()},
                    None,
                    "rollback",
                ),
                sql=tuple(u.step.sql for u in units),
                message=f"dry run: {len(units)} undo steps would run",
            )
        ctx.journal.ensure()
        run_id = run.run_id if run else new_run_id()
        if adopted:
            _adopt(ctx, run_id)
        latest = ctx.journal.latest()
        runner = Runner(
            session,
            ctx.spec,
            ctx.journal,
            run_id,
            transactional_ddl=transactional_ddl(session, plan),
            progress=progress,
            paused=paused,
            throttle_ms=throttle_ms,
            lock_retries=lock_retries,
            total=len(units),
            on_op_complete=lambda unit: ctx.journal.mark_rolled_back(latest, unit.op.id, session),
        )
        try:
            runner.run(units)
        except StepFailed as failed:
            return ctx.report(
                "failed",
                "rollback",
                run_id,
                operations=_results(ctx, runner, planned, failed, "rollback"),
                message=_failure_message(ctx, failed, "rollback"),
                failed_op=failed.unit.op.id,
                failed_step=failed.unit.index,
            )
        finally:
            if not session.closed:
                runner.reset_timeouts()
        for op in undo:
            if op.rollback is not None:
                planned[op.id] = "rolled_back"
        finished = ctx.journal.latest()  # ops whose undo finished in an earlier, cut-off
        for op in undo:  # call (or that have no undo steps) are marked here
            if op.rollback is not None and finished is not None:
                ctx.journal.mark_rolled_back(finished, op.id, session)
        ops = _results(ctx, runner, planned, None, "rollback")
        left = tuple(f"{op.id} left in place: {op.irreversible}" for op in irreversible)
        if not verify or left:
            return ctx.report(
                "rolled_back",
                "rollback",
                run_id,
                operations=ops,
                notes=left,
                message=f"rolled back {len(undo) - len(left)} operations"
                + (f"; {len(left)} irreversible left in place" if left else ""),
            )
        return _verify_rollback(ctx, run_id, ops, source_snapshot)
    finally:
        ctx.journal.close()


def _rollback_units(plan: Plan, run: Run | None, undo: list[Operation]):
    units: list[Unit] = []
    planned = {op.id: "not_applied" for op in plan.operations}
    for op in reversed(undo):
        if op.rollback is None:
            planned[op.id] = "left"
            continue
        planned[op.id] = "pending"
        partial = run is not None and run.applied_steps(op.id) < len(op.steps)
        for i, step in enumerate(op.rollback):
            row = run.row(op.id, "rollback", i) if run else None
            if row is not None and row.status == "done":
                continue
            units.append(
                Unit(
                    op,
                    "rollback",
                    i,
                    step,
                    len(op.rollback),
                    state=row.state if row else None,
                    tolerant=partial or _uncertain(row),
                    resumed=row is not None,
                )
            )
    return units, planned


def _adopt(ctx: _Context, run_id: str) -> None:
    """No journal, live schema at the target: record the plan as applied (so an
    interrupted rollback can be resumed like any other run)."""
    for op in ctx.plan.operations:
        for i in range(len(op.steps)):
            row = Row(
                run_id,
                ctx.journal.digest,
                op.id,
                "apply",
                i,
                "done",
                now(),
                now(),
                "recorded by rollback: the live schema matched the plan's target",
                None,
            )
            ctx.journal.write(ctx.session, row)


def _verify_rollback(ctx: _Context, run_id: str, ops: tuple, source_snapshot: Any):
    plan = ctx.plan
    after = learn_live(ctx.session, ctx.database)
    # column order aside, as apply verifies: a shadow-column type change re-adds its
    # column at the end of the table, both ways
    exact = after.hash == plan.source_hash
    if exact or only_column_order(plan, after):
        return ctx.report(
            "rolled_back",
            "rollback",
            run_id,
            operations=ops,
            verified=True,
            verification_hash=after.hash,
            message="rolled back: the database hashes to the plan's source again"
            if exact
            else "rolled back: every object matches the plan's source again, column order "
            "aside (a column re-added by a shadow-column change sits at the end of its table)",
        )
    expected = source_snapshot or plan_snapshot(plan, "from")
    drift = drift_lines(plan, "from", expected, after.snapshot)
    return ctx.report(
        "failed",
        "rollback",
        run_id,
        operations=ops,
        verified=False,
        verification_hash=after.hash,
        drift=drift,
        message=f"rolled back, but the database hashes to {after.hash}, not the plan's source "
        f"{plan.source_hash}" + (":\n  " + "\n  ".join(drift) if drift else ""),
    )

"""Executor for steps that must not leave debris when they fail: `sql_with_cleanup`.

An online strategy can fail half-way in ways a transaction would have undone: a
CREATE INDEX CONCURRENTLY that meets a duplicate key leaves an INVALID index behind (it
still slows every write and blocks a retry with the same name); a VALIDATE CONSTRAINT that
meets a bad row leaves the NOT VALID helper constraint. The step carries, as plain params,
what to run afterwards so the database is as it was before the step:

- `cleanup`: SQL run after the statement failed (then the error is raised again);
- `cleanup_if`: a query; the cleanup runs only when it returns a row (e.g. "an INVALID
  index of this name exists"), so a failure that left nothing behind is not "cleaned";
- `cleanup_first`: run the (conditional) cleanup before the statement too, for debris left
  by an earlier attempt that was killed before it could clean up (a resumed apply);
- `done_if`: a query; when it returns a row the step's effect is already there (a resumed
  apply whose checkpoint was lost after the statement succeeded) and the step is skipped.

Registered with engine.planner.steps (loaded through engine.planner.shadow, which
EXECUTOR_MODULES names).
"""

from __future__ import annotations

from typing import Any

from engine.errors import ServerError
from engine.planner.model import Step
from engine.planner.steps import StepContext, register


def _rows(session: Any, sql: str | None) -> bool:
    return bool(sql) and bool(session.query(sql).rows)


def _cleanup(session: Any, step: Step) -> None:
    sql = step.param("cleanup")
    if sql and (not step.param("cleanup_if") or _rows(session, step.param("cleanup_if"))):
        session.execute(sql)


@register("sql_with_cleanup")
def run_sql_with_cleanup(session: Any, step: Step, ctx: StepContext) -> None:
    if _rows(session, step.param("done_if")):
        ctx.progress(1, 1, "already done")
        return
    if step.param("cleanup_first"):
        _cleanup(session, step)
    try:
        session.execute(step.sql)
    except BaseException:
        try:
            _cleanup(session, step)
        except Exception as exc:  # the original failure is the one to report
            ctx.extra.setdefault("cleanup_errors", []).append(str(exc))
        raise


@register("sql_with_fallback")
def run_sql_with_fallback(session: Any, step: Step, ctx: StepContext) -> None:
    """The statement, else each fallback form in turn while the server answers with one of
    `fallback_codes` (it refused the algorithm, nothing was changed); any other error, or
    the last form's, is raised as it is."""
    codes = set(step.param("fallback_codes", ()))
    forms = (step.sql, *step.param("fallbacks", ()))
    for i, sql in enumerate(forms):
        try:
            session.execute(sql)
        except ServerError as exc:
            if exc.code not in codes or i == len(forms) - 1:
                raise
            ctx.extra.setdefault("notes", []).append(f"server refused: {exc}; tried the next form")
            continue
        if i:
            ctx.progress(1, 1, f"ran fallback form {i}: {sql}")
        return


@register("sql_transaction")
def run_sql_transaction(session: Any, step: Step, ctx: StepContext) -> None:
    """`statements` in one transaction of their own, rolled back whole when one fails: a
    swap that must never be seen half-done by the table's writers (drop the old column and
    rename the new one in its place). `done_if` as for `sql_with_cleanup`: a resumed apply
    whose checkpoint was lost after the COMMIT skips it. The step's `sql` spells the same
    BEGIN ... COMMIT script for a person."""
    if _rows(session, step.param("done_if")):
        ctx.progress(1, 1, "already done")
        return
    session.execute("BEGIN")
    try:
        for sql in step.param("statements", ()):
            session.execute(sql)
    except BaseException:
        try:
            session.execute("ROLLBACK")
        except Exception as exc:  # a dropped connection rolled back already
            ctx.extra.setdefault("cleanup_errors", []).append(str(exc))
        raise
    session.execute("COMMIT")


def transaction_step(statements: list[str], done_if: str | None = None) -> Step:
    """A `sql_transaction` step: the statements, and their BEGIN ... COMMIT spelling."""
    script = "\n".join(["BEGIN;", *(f"{s};" for s in statements), "COMMIT;"])
    params: tuple = (("statements", tuple(statements)),)
    if done_if:
        params = (("done_if", done_if), *params)
    return Step(sql=script, kind="sql_transaction", transactional=False, params=params)

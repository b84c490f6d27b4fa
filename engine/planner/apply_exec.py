"""Running steps: grouping into transactions, timeouts, lock retries, checkpoints.

A `Unit` is one step of one operation in one phase ("apply" or "rollback"). The runner
groups units into transactions when the server's DDL is transactional (consecutive
transactional steps share one transaction; a step marked `transactional=False` runs
alone, autocommitted), otherwise every unit is its own autocommitted checkpoint. A unit
that needs tolerance (see `Unit.tolerant`) also runs alone: its "already in that state"
error must not abort a transaction around other work.

Per unit: the op's lock and statement timeouts are set (templates in journal.json), a
"started" row is written, the executor runs (`engine.planner.steps.executor_for`), a
"done" row is written on the apply session (inside the transaction when there is one), and
progress is reported. A lock-timeout error (error classes in journal.json) rolls the group
back and retries it up to `lock_retries` times with exponential backoff; anything else
stops the run with `StepFailed` naming the op and step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import errors
from engine.planner.journal import Journal, Row, matches
from engine.planner.model import Operation, Step
from engine.planner.steps import StepContext, executor_for

#: a failed row whose error starts with this was cut off without an answer (connection
#: lost): whether the step took effect is unknown, as for a row left "started"
INTERRUPTED = "interrupted: "
_UNKNOWN = object()


@dataclass
class Unit:
    op: Operation
    phase: str
    index: int
    step: Step
    total: int  # steps of this op in this phase
    #: state the executor saved in an earlier, interrupted run
    state: dict | None = None
    #: re-run of a step whose effect is unknown (interrupted without an answer), or an
    #: undo step of a partially applied op: an "already in that state" error (journal.json
    #: errors.already_applied) counts as done
    tolerant: bool = False
    resumed: bool = False


@dataclass
class OpStats:
    steps_run: int = 0
    elapsed_ms: float = 0.0
    attempts: int = 0
    notes: list[str] = field(default_factory=list)


class StepFailed(Exception):
    def __init__(self, unit: Unit, message: str, *, lost: bool = False) -> None:
        super().__init__(message)
        self.unit = unit
        self.message = message
        self.lost = lost


class _Retry(Exception):
    def __init__(self, unit: Unit, message: str) -> None:
        super().__init__(message)
        self.unit = unit
        self.message = message


def group_units(units: list[Unit], transactional_ddl: bool) -> list[tuple[list[Unit], bool]]:
    """[(units, in_transaction)] in order (see the module docstring)."""
    groups: list[tuple[list[Unit], bool]] = []
    current: list[Unit] = []
    for unit in units:
        if transactional_ddl and unit.step.transactional and not unit.tolerant:
            current.append(unit)
            continue
        if current:
            groups.append((current, True))
            current = []
        groups.append(([unit], False))
    if current:
        groups.append((current, True))
    return groups


class Runner:
    def __init__(
        self,
        session: Any,
        spec: dict[str, Any],
        journal: Journal,
        run_id: str,
        *,
        transactional_ddl: bool,
        progress: Callable | None = None,
        paused: Callable[[], bool] | None = None,
        throttle_ms: int = 0,
        lock_retries: int = 3,
        total: int = 0,
        on_op_complete: Callable[[Unit], None] | None = None,
    ) -> None:
        self.session = session
        self.spec = spec
        self.journal = journal
        self.run_id = run_id
        self.transactional_ddl = transactional_ddl
        self.progress = progress
        self.paused = paused or (lambda: False)
        self.throttle_ms = throttle_ms
        self.lock_retries = max(0, lock_retries)
        self.total = total
        #: (journal row, state) the running step saved last (see _with_saved_state)
        self._saved_state: tuple[Row, dict] | None = None
        self.done_count = 0
        self.on_op_complete = on_op_complete
        self.stats: dict[str, OpStats] = {}
        self._timeouts: dict[str, Any] = {"lock": None, "statement": None}
        tx = spec.get("transaction") or {}
        self._begin, self._commit, self._rollback = (
            tx.get("begin"),
            tx.get("commit"),
            tx.get("rollback"),
        )
        if not (self._begin and self._commit and self._rollback):
            self.transactional_ddl = False

    # -- timeouts ------------------------------------------------------------------------

    def _set_timeouts(self, op: Operation) -> None:
        wanted = {"lock": op.lock_timeout_ms, "statement": op.statement_timeout_ms}
        for kind, ms in wanted.items():
            if self._timeouts[kind] is not _UNKNOWN and self._timeouts[kind] == ms:
                continue
            templates = (self.spec.get("timeouts") or {}).get(kind) or {}
            if ms is None:
                statements = templates.get("reset") or []
                values: dict[str, Any] = {}
            else:
                statements = templates.get("set") or []
                seconds = ms / 1000.0
                values = {
                    "ms": int(ms),
                    "s": max(1, -(-int(ms) // 1000)),
                    "seconds": f"{seconds:g}",
                }
            for sql in statements:
                self.session.execute(sql.format(**values))
            self._timeouts[kind] = ms

    def reset_timeouts(self) -> None:
        """Best effort at the end: the session goes back to its defaults."""
        for kind, value in self._timeouts.items():
            if value is None:
                continue
            for sql in ((self.spec.get("timeouts") or {}).get(kind) or {}).get("reset") or []:
                try:
                    self.session.execute(sql)
                except errors.EngineError:
                    return
            self._timeouts[kind] = None

    # -- running -------------------------------------------------------------------------

    def run(self, units: list[Unit]) -> None:
        for group, in_tx in group_units(units, self.transactional_ddl):
            while self.paused():
                time.sleep(0.05)
            self._run_group(group, in_tx)

    def _run_group(self, group: list[Unit], in_tx: bool) -> None:
        attempt = 1
        backoff = float(self.spec.get("lock_retry_backoff_ms", 200)) / 1000.0
        while True:
            try:
                self._attempt(group, in_tx, attempt)
                return
            except _Retry as retry:
                if attempt > self.lock_retries:
                    raise StepFailed(
                        retry.unit,
                        f"lock timeout, gave up after {attempt} attempts "
                        f"({self.lock_retries} retries): {retry.message}",
                    ) from None
                time.sleep(backoff * (2 ** (attempt - 1)))
                attempt += 1

    def _abort(self, in_tx: bool) -> None:
        self._timeouts = {k: _UNKNOWN for k in self._timeouts}
        if in_tx:
            with contextlib.suppress(errors.EngineError):  # gone: the server rolled back
                self.session.execute(self._rollback)

    def _attempt(self, group: list[Unit], in_tx: bool, attempt: int) -> None:
        finished: list[tuple[Unit, float, str | None]] = []
        row: Row | None = None
        unit = group[0]
        try:
            if in_tx:
                self.session.execute(self._begin)
            for unit in group:
                row = None
                self._set_timeouts(unit.op)
                row = self.journal.started(
                    self.run_id, unit.op.id, unit.phase, unit.index, unit.state
                )
                elapsed, note = self._execute(unit, row, in_tx)
                finished.append((unit, elapsed, note))
                if not in_tx:
                    self._finish(unit, elapsed, note, attempt)
            if in_tx:
                self.session.execute(self._commit)
                for done_unit, elapsed, note in finished:
                    self._finish(done_unit, elapsed, note, attempt)
        except errors.ServerError as exc:
            self._abort(in_tx)
            lock = matches((self.spec.get("errors") or {}).get("lock_timeout"), exc)
            if row is not None:
                prefix = f"lock timeout (attempt {attempt}): " if lock else ""
                self.journal.failed(self._with_saved_state(row), prefix + str(exc))
            if lock:
                raise _Retry(unit, str(exc)) from None
            raise StepFailed(unit, str(exc)) from None
        except errors.OperationalError as exc:
            self._abort(in_tx)
            if row is not None:
                self.journal.failed(self._with_saved_state(row), INTERRUPTED + str(exc))
            raise StepFailed(unit, f"connection lost: {exc}", lost=True) from None

    def _with_saved_state(self, row: Row) -> Row:
        """`row` with the state its step saved last: the failed row must keep the
        checkpoint (a copy killed half-way resumes after its last chunk, not from the
        start)."""
        saved = self._saved_state
        return dataclasses.replace(row, state=saved[1]) if saved and saved[0] is row else row

    def _execute(self, unit: Unit, row: Row, in_tx: bool) -> tuple[float, str | None]:
        """Run one unit and write its done row; (elapsed ms, note)."""
        state = {"value": unit.state}

        def save_state(new_state: dict) -> None:
            state["value"] = dict(new_state)
            self._saved_state = (row, state["value"])
            self.journal.save_state(row, dict(new_state))

        ctx = StepContext(
            operation=unit.op,
            step_index=unit.index,
            state=unit.state,
            save_state=save_state,
            paused=self.paused,
            throttle_ms=self.throttle_ms,
            extra={"phase": unit.phase, "run_id": self.run_id, "resumed": unit.resumed},
        )
        started = time.perf_counter()
        note = None
        try:
            executor_for(unit.step.kind)(self.session, unit.step, ctx)
        except errors.ServerError as exc:
            already = (self.spec.get("errors") or {}).get("already_applied")
            if not (unit.tolerant and not in_tx and matches(already, exc)):
                raise
            note = f"step {unit.index + 1} already in effect (interrupted earlier): {exc}"
        self.journal.done(row, state["value"], note)
        if self.on_op_complete is not None and unit.index == unit.total - 1:
            self.on_op_complete(unit)
        return (time.perf_counter() - started) * 1000.0, note

    def _finish(self, unit: Unit, elapsed: float, note: str | None, attempt: int) -> None:
        stats = self.stats.setdefault(unit.op.id, OpStats())
        stats.steps_run += 1
        stats.elapsed_ms += elapsed
        stats.attempts = max(stats.attempts, attempt)
        if note:
            stats.notes.append(note)
        self.done_count += 1
        if self.progress is not None:
            self.progress(unit.op, unit.step, self.done_count, self.total)

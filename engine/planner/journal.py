"""The apply journal: checkpoints kept in the target database itself, in `_sqlx_journal`.

Why in the target: an interrupted apply must be resumable or undoable from a new session,
maybe on another machine, and the only place that is sure to outlive the process and to
agree with the schema is the database being changed. One row per (run id, op id, phase,
step index); `phase` is "apply" or "rollback"; `status` one of STATUSES; timestamps are
UTC ISO text written by the tool (so no family's date functions are needed); `state` is
the executor's resumable state as JSON (`StepContext.save_state`). Rows also carry the
plan's source and target hashes and a digest of its steps, so a journal row can never be
mistaken for a checkpoint of another plan.

Everything a family does differently (the table's DDL, literal quoting, whether a second
connection may write while the apply session holds a transaction) is data in
`transports/flo/<family>/journal.json`; this module only fills templates.

Which connection writes what (the rule that makes checkpoints trustworthy):
- "done" is written on the APPLY session: inside the step's transaction when it has one,
  so a checkpoint commits exactly when the work does, and vanishes with it on rollback;
- "started" / "failed" / saved state go through the WRITER: a second connection where the
  family allows one (`own_connection`), so they are visible at once and survive a failed or
  killed transaction; else the apply session itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from engine import errors
from engine.flo.database import family_of
from engine.flo.probes import read_text
from engine.planner.model import Plan

STATUSES = ("started", "done", "failed", "rolled_back")
PHASES = ("apply", "rollback")
COLUMNS = (
    "run_id",
    "plan_digest",
    "op_id",
    "phase",
    "step_index",
    "status",
    "started_at",
    "finished_at",
    "error",
    "state",
)
#: error texts kept in the journal are cut to this many characters
ERROR_CHARS = 2000


def family_spec(session: Any) -> dict[str, Any]:
    """The session family's journal.json (folder from the registry), checked for shape."""
    folder, _ = family_of(session)
    try:
        spec = json.loads(read_text(folder, "journal.json"))
    except ValueError as exc:
        raise errors.ConfigError(f"transports/{folder}/journal.json: {exc}") from None
    missing = [k for k in ("create", "select", "insert", "update", "literals") if k not in spec]
    if missing:
        raise errors.ConfigError(f"transports/{folder}/journal.json: missing {missing}")
    spec["_folder"] = folder
    return spec


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def new_run_id() -> str:
    """Sortable by time (the latest run of a plan is the greatest id), unique by a suffix."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def plan_digest(plan: Plan) -> str:
    """What identifies a plan's steps: op ids, step kinds and SQL, rollback SQL."""
    doc = [
        [
            op.id,
            [[s.kind, s.sql] for s in op.steps],
            [[s.kind, s.sql] for s in op.rollback or ()],
        ]
        for op in plan.operations
    ]
    text = json.dumps([plan.source_hash, plan.target_hash, doc], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def matches(spec: dict[str, Any] | None, exc: BaseException) -> bool:
    """Whether a server error belongs to an error class of journal.json `errors` (by
    SQLSTATE, native code, or a regex over the message)."""
    import re

    if not spec or not isinstance(exc, errors.ServerError):
        return False
    if exc.sqlstate and exc.sqlstate in spec.get("sqlstate", ()):
        return True
    if exc.code is not None and exc.code in spec.get("code", ()):
        return True
    return any(re.search(p, exc.message, re.IGNORECASE) for p in spec.get("message", ()))


@dataclass(frozen=True, slots=True)
class Row:
    run_id: str
    plan_digest: str
    op_id: str
    phase: str
    step_index: int
    status: str
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    state: dict | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.op_id, self.phase, self.step_index)


@dataclass(frozen=True)
class Run:
    """One run of a plan as the journal tells it. `state`:
    "complete" (every apply step done), "interrupted" (some apply work, not all),
    "rolling_back" (a rollback started and some applied step is still not undone),
    "rolled_back" (a rollback finished: nothing applied remains)."""

    run_id: str
    plan_digest: str
    rows: dict[tuple[str, str, int], Row]

    def row(self, op_id: str, phase: str, index: int) -> Row | None:
        return self.rows.get((op_id, phase, index))

    def status(self, op_id: str, phase: str, index: int) -> str | None:
        row = self.row(op_id, phase, index)
        return row.status if row else None

    def applied_steps(self, op_id: str) -> int:
        return sum(
            1
            for r in self.rows.values()
            if r.op_id == op_id and r.phase == "apply" and r.status == "done"
        )

    def state(self, plan: Plan) -> str:
        statuses = [r.status for r in self.rows.values() if r.phase == "apply"]
        undoing = "rolled_back" in statuses or any(
            r.phase == "rollback" for r in self.rows.values()
        )
        if undoing:
            return "rolling_back" if "done" in statuses else "rolled_back"
        complete = all(
            self.status(op.id, "apply", i) == "done"
            for op in plan.operations
            for i in range(len(op.steps))
        )
        return "complete" if complete else "interrupted"


class Journal:
    """Reads and writes one plan's checkpoints. `writer` is the session for rows that must
    outlive the apply session's transaction (see the module docstring)."""

    def __init__(self, session: Any, spec: dict[str, Any], plan: Plan) -> None:
        self.session = session
        self.spec = spec
        self.plan = plan
        self.digest = plan_digest(plan)
        self._writer: Any = None
        self._lock_key: str | None = None

    # -- SQL ---------------------------------------------------------------------------

    def literal(self, value: Any) -> str:
        lit = self.spec["literals"]
        if value is None:
            return lit.get("null", "NULL")
        if isinstance(value, bool | int):
            return str(int(value))
        text = str(value)
        for old, new in lit.get("escapes", {}).items():
            text = text.replace(old, new)
        text = text.replace("\x00", "")
        return f"{lit.get('quote', chr(39))}{text}{lit.get('quote', chr(39))}"

    def render(self, name: str, **values: Any) -> str:
        base = {"plan_source": self.plan.source_hash, "plan_target": self.plan.target_hash}
        base["plan_digest"] = self.digest
        base.update(values)
        return self.spec[name].format(**{k: self.literal(v) for k, v in base.items()})

    # -- sessions ----------------------------------------------------------------------

    @property
    def writer(self) -> Any:
        if not self.spec.get("own_connection"):
            return self.session
        if self._writer is None or getattr(self._writer, "closed", False):
            from engine.session import connect

            self._writer = connect(dataclasses.replace(self.session.cfg))
        return self._writer

    def close(self) -> None:
        self.release()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    # -- one apply at a time -------------------------------------------------------------

    def acquire(self, database: str) -> None:
        """Take the family's apply lock (journal.json `apply_lock`, held by the apply
        session, so the server frees it however the session ends), or refuse: another
        apply or rollback is running on this database. Families without one (a SQLite
        file) rely on the file's own write lock between transactions."""
        spec = self.spec.get("apply_lock")
        if not spec:
            return
        key = self.literal(f"_sqlx_apply:{database}")
        rows = self.session.query(spec["acquire"].format(key=key)).rows
        value = rows[0][0] if rows else None
        if str(value).lower() not in ("1", "true", "t"):
            raise errors.PlanRefused(
                f"another apply or rollback is running on database {database!r} "
                "(its lock is held); wait for it to finish",
                journal={"lock": database},
            )
        self._lock_key = key

    def release(self) -> None:
        key, self._lock_key = self._lock_key, None
        if key is None or getattr(self.session, "closed", False):
            return
        with contextlib.suppress(errors.EngineError):  # the session is gone: so is the lock
            self.session.query(self.spec["apply_lock"]["release"].format(key=key))

    # -- reading -------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create the table if it is missing (autocommit, outside any transaction)."""
        self.session.execute(self.spec["create"])

    def runs(self, *, missing_ok: bool = False) -> list[Run]:
        """This plan's runs, oldest first. `missing_ok`: a journal table that does not exist
        (never created: a dry run must not create it) reads as no runs."""
        try:
            result = self.session.query(self.render("select"))
        except errors.ServerError:
            if missing_ok:
                return []
            raise
        by_run: dict[str, dict] = {}
        digests: dict[str, str] = {}
        for values in result.rows:
            data = dict(zip(COLUMNS, values, strict=False))
            state = data.get("state")
            row = Row(
                run_id=str(data["run_id"]),
                plan_digest=str(data["plan_digest"]),
                op_id=str(data["op_id"]),
                phase=str(data["phase"]),
                step_index=int(data["step_index"]),
                status=str(data["status"]),
                started_at=data.get("started_at"),
                finished_at=data.get("finished_at"),
                error=data.get("error"),
                state=json.loads(state) if state else None,
            )
            by_run.setdefault(row.run_id, {})[row.key] = row
            digests[row.run_id] = row.plan_digest
        return [Run(run_id, digests[run_id], by_run[run_id]) for run_id in sorted(by_run)]

    def latest(self, *, missing_ok: bool = False) -> Run | None:
        runs = self.runs(missing_ok=missing_ok)
        return runs[-1] if runs else None

    # -- writing -------------------------------------------------------------------------

    def write(self, session: Any, row: Row) -> None:
        """Update the row, or insert it when no row was there (a row inserted inside a
        transaction that rolled back is gone again, so the cache cannot be trusted)."""
        values = dataclasses.asdict(row)
        values["state"] = json.dumps(row.state, sort_keys=True) if row.state is not None else None
        if values["error"] is not None:
            values["error"] = values["error"][:ERROR_CHARS]
        values.pop("plan_digest")
        if session.execute(self.render("update", **values)) == 0:
            session.execute(self.render("insert", **values))

    def started(self, run_id: str, op_id: str, phase: str, index: int, state: dict | None) -> Row:
        row = Row(run_id, self.digest, op_id, phase, index, "started", now(), None, None, state)
        self.write(self.writer, row)
        return row

    def done(self, row: Row, state: dict | None = None, note: str | None = None) -> Row:
        """On the apply session: inside the step's transaction when there is one."""
        done = dataclasses.replace(
            row, status="done", finished_at=now(), error=note, state=state or row.state
        )
        self.write(self.session, done)
        return done

    def failed(self, row: Row, message: str) -> Row | None:
        """Best effort: the writer may be the apply session, and that may be dead."""
        failed = dataclasses.replace(row, status="failed", finished_at=now(), error=message)
        try:
            self.write(self.writer, failed)
        except errors.EngineError:
            return None
        return failed

    def save_state(self, row: Row, state: dict) -> None:
        self.write(self.writer, dataclasses.replace(row, state=state))

    def mark_rolled_back(self, run: Run, op_id: str, session: Any) -> None:
        """After an op's rollback steps are all done: its apply rows say so."""
        for row in run.rows.values():
            if row.op_id == op_id and row.phase == "apply" and row.status != "rolled_back":
                self.write(
                    session, dataclasses.replace(row, status="rolled_back", finished_at=now())
                )

"""What apply, rollback and rehearse hand back: a frozen report, also as plain JSON.

The report is the one place the CLI, the Studio's job log and tests read the outcome from:
a status word, one line per operation (what ran, what was skipped because an earlier run
did it, what failed and why), the journal run id to look the checkpoints up by, and,
after a failure, the op id and step where it stopped, so a person knows what to resume
or roll back without reading logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: applied: every step ran now; resumed: an interrupted run was finished; rolled_back:
#: applied operations were undone; dry_run: nothing touched, `sql` shows what would run;
#: noop: nothing to do (already applied / nothing to roll back), `message` says why;
#: failed: a step failed, the connection dropped, or verification did not match.
STATUSES = ("applied", "resumed", "rolled_back", "dry_run", "noop", "failed")

#: per operation: done (ran in this run), skipped (done by an earlier run of the plan),
#: would_run (dry run), failed, pending (not reached), rolled_back, left (irreversible,
#: left in place by a rollback), not_applied (nothing of it was applied: nothing to undo)
OP_STATUSES = (
    "done",
    "skipped",
    "would_run",
    "failed",
    "pending",
    "rolled_back",
    "left",
    "not_applied",
)


@dataclass(frozen=True, slots=True)
class OpResult:
    op_id: str
    kind: str
    target: str
    status: str
    steps_run: int = 0
    steps_total: int = 0
    elapsed_ms: float = 0.0
    #: attempts of the slowest step (more than 1 after lock-timeout retries)
    attempts: int = 0
    error: str | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "op_id": self.op_id,
            "kind": self.kind,
            "target": self.target,
            "status": self.status,
            "steps_run": self.steps_run,
            "steps_total": self.steps_total,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "attempts": self.attempts,
            "error": self.error,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """`action` is "apply", "rollback" or "rehearse". After a failure `failed_op` /
    `failed_step` (0-based index into the op's steps, or its rollback steps) say where it
    stopped and `message` says why and what to do. `verification_hash` is the live
    profile hash (column order aside for apply) measured after the run."""

    status: str
    action: str
    database: str
    run_id: str | None
    operations: tuple[OpResult, ...] = ()
    message: str = ""
    sql: tuple[str, ...] = ()
    verified: bool | None = None
    verification_hash: str | None = None
    failed_op: str | None = None
    failed_step: int | None = None
    drift: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def operation(self, op_id: str) -> OpResult | None:
        return next((o for o in self.operations if o.op_id == op_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "action": self.action,
            "database": self.database,
            "run_id": self.run_id,
            "message": self.message,
            "operations": [o.to_json() for o in self.operations],
            "sql": list(self.sql),
            "verified": self.verified,
            "verification_hash": self.verification_hash,
            "failed_op": self.failed_op,
            "failed_step": self.failed_step,
            "drift": list(self.drift),
            "notes": list(self.notes),
            "elapsed_ms": round(self.elapsed_ms, 3),
        }

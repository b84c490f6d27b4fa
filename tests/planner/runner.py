"""The small local runner the conformance tests use until the real apply replaces it: run
each step's SQL in plan order; roll back by running each operation's rollback steps in
reverse operation order. No journal, no transactions of its own, no strategies: it proves
the plan's SQL, not apply's machinery."""

from __future__ import annotations

from engine.planner.model import Operation


def run_ops(session, ops: tuple[Operation, ...]) -> None:
    for op in ops:
        for step in op.steps:
            try:
                session.execute(step.sql)
            except Exception as exc:
                raise AssertionError(f"{op.id} {op.kind} {op.target}: {step.sql}\n{exc}") from exc


def run_rollback(session, ops: tuple[Operation, ...]) -> None:
    for op in reversed(ops):
        assert op.rollback is not None, f"{op.id} is irreversible: {op.irreversible}"
        for step in op.rollback:
            try:
                session.execute(step.sql)
            except Exception as exc:
                raise AssertionError(
                    f"rollback of {op.id} {op.kind} {op.target}: {step.sql}\n{exc}"
                ) from exc

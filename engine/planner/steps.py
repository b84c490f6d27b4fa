"""Step executors: how apply runs one Step of a plan, by the step's `kind`.

"sql" runs the statement as it is. Online strategies add kinds whose work is more than one
statement (a chunked shadow-table copy, waiting for a concurrent index to become valid);
their modules register an executor here so apply stays one loop over steps and the plan
stays plain data. An executor gets the session, the step and a StepContext through which it
reports progress, honours the pause switch, and saves resumable state (so a copy killed
half-way resumes from its last chunk instead of starting over).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import PlanError
from engine.planner.model import Operation, Step

#: modules that register executors for the step kinds they define (imported on first use)
EXECUTOR_MODULES = ("engine.planner.online_steps", "engine.planner.shadow")


@dataclass
class StepContext:
    """What an executor may use besides the session.

    `state` is what the executor saved last time this step ran (None on a first run);
    `save_state(dict)` records new resumable state in the journal (JSON-able values);
    `progress(done, total, message)` feeds the progress bar / websocket;
    `paused()` is True while the operator asked to pause (executors wait between chunks);
    `throttle_ms` the pause between chunks the operator chose."""

    operation: Operation
    step_index: int
    state: dict | None = None
    save_state: Callable[[dict], None] = lambda state: None
    progress: Callable[[int, int | None, str], None] = lambda done, total, message: None
    paused: Callable[[], bool] = lambda: False
    throttle_ms: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


Executor = Callable[[Any, Step, StepContext], None]
EXECUTORS: dict[str, Executor] = {}
#: kinds whose `sql` only shows what the executor does (e.g. one chunk of a copy loop):
#: a script printed for a person to run by hand must not present it as the statement
ILLUSTRATIVE_SQL: set[str] = set()
_loaded = False


def register(kind: str, *, sql_runs_as_is: bool = True) -> Callable[[Executor], Executor]:
    def decorate(fn: Executor) -> Executor:
        EXECUTORS[kind] = fn
        if not sql_runs_as_is:
            ILLUSTRATIVE_SQL.add(kind)
        return fn

    return decorate


def sql_runs_as_is(kind: str) -> bool:
    """True when running a step's `sql` by hand does what the step does (its executor may
    add checks and clean-up around it)."""
    executor_for(kind)
    return kind not in ILLUSTRATIVE_SQL


@register("sql")
def run_sql(session: Any, step: Step, ctx: StepContext) -> None:
    session.execute(step.sql)


def executor_for(kind: str) -> Executor:
    global _loaded
    if not _loaded:
        for name in EXECUTOR_MODULES:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
        _loaded = True
    try:
        return EXECUTORS[kind]
    except KeyError:
        raise PlanError(
            f"unknown step kind {kind!r} (known: {', '.join(sorted(EXECUTORS))})"
        ) from None

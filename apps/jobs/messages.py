"""The messages a run publishes, typed: one TypedDict per kind, built from the stored run.

Every message goes to the run's channel-layer group (`run-<id>`) and is forwarded as is to
websocket clients, so its `type` is both the consumer's handler name (channels turns
"run.progress" into `run_progress`) and what runs.js switches on. The database row is
always written first: a client that connects later reads the same facts from it.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.jobs.models import Run, RunLog, group_name

logger = logging.getLogger(__name__)

SNAPSHOT_LOG_LINES = 1000


class RunStatus(StrEnum):
    QUEUED = Run.State.QUEUED
    RUNNING = Run.State.RUNNING
    SUCCEEDED = Run.State.SUCCEEDED
    FAILED = Run.State.FAILED
    CANCELLED = Run.State.CANCELLED


class ProgressMessage(TypedDict):
    type: Literal["run.progress"]
    run_id: int
    state: str
    percent: int
    step: str


class LogMessage(TypedDict):
    type: Literal["run.log"]
    run_id: int
    seq: int
    at: str
    line: str


class MarkMessage(TypedDict):
    """One part of the work changed status (e.g. a plan's operation: running, done)."""

    type: Literal["run.mark"]
    run_id: int
    key: str
    status: str


class FinishedMessage(TypedDict):
    type: Literal["run.finished"]
    run_id: int
    state: str
    percent: int
    step: str
    error: str
    result: dict | list | None


class SnapshotMessage(TypedDict):
    """What a websocket client gets first: the stored run and its log so far."""

    type: Literal["run.snapshot"]
    run_id: int
    state: str
    percent: int
    step: str
    error: str
    result: dict | list | None
    logs: list[LogMessage]
    marks: dict[str, str]


def progress(run: Run) -> ProgressMessage:
    return {
        "type": "run.progress",
        "run_id": run.pk,
        "state": run.state,
        "percent": run.percent,
        "step": run.step,
    }


def log_line(entry: RunLog) -> LogMessage:
    return {
        "type": "run.log",
        "run_id": entry.run_id,
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "line": entry.line,
    }


def finished(run: Run) -> FinishedMessage:
    return {**progress(run), "type": "run.finished", "error": run.error, "result": run.result}


def snapshot(run: Run) -> SnapshotMessage:
    newest = run.logs.order_by("-seq")[:SNAPSHOT_LOG_LINES]
    logs = [log_line(entry) for entry in list(newest)[::-1]]
    return {**finished(run), "type": "run.snapshot", "logs": logs, "marks": run.marks}


def mark(run: Run, key: str, status: str) -> MarkMessage:
    return {"type": "run.mark", "run_id": run.pk, "key": key, "status": status}


def publish(message: ProgressMessage | LogMessage | MarkMessage | FinishedMessage) -> None:
    """Send to the run's group. The row is already stored, so a layer that is down costs
    live updates only: it is logged, never raised into the job."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(message["run_id"]), message)
    except Exception:
        logger.warning("could not publish %s for run %s", message["type"], message["run_id"])

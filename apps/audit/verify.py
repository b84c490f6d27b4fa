"""Walk a chain and name the first event that is not what was recorded.

Streams plain tuples in seq order (no model instances) and recomputes every hash with the
same encoder `record` used, so a million events verify in seconds and in constant memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import CharField, F, Func

from apps.audit import canonical
from apps.audit.models import AuditEvent, ChainHead

CHUNK = 5000

#: The columns that make up an event, in the order rows() yields them.
COLUMNS = (
    "id",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "outcome",
    "details",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class Broken:
    seq: int
    event_id: int | None  # None when the event itself is gone
    problem: str

    def __str__(self) -> str:
        return f"event {self.seq}: {self.problem}"


@dataclass(frozen=True)
class VerifyResult:
    count: int
    last_seq: int
    last_hash: str
    broken: Broken | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def message(self) -> str:
        if self.broken is None:
            return f"Chain intact: {self.count} events, last hash {self.last_hash[:16]}…"
        return f"Chain broken at {self.broken} ({self.count} events read)."


#: Per platform database, how to read occurred_at already in the canonical spelling, so
#: a walk neither parses nor re-prints a million timestamps. Elsewhere the column is read
#: as stored (SQLite keeps Django's UTC text) and `canonical.timestamp` spells it.
CANONICAL_TIME = {
    "postgresql": Func(
        F("occurred_at"),
        template=(
            "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        ),
        output_field=CharField(),
    ),
}


def rows(workspace_id: int | None, first_seq: int = 1, last_seq: int | None = None) -> Iterator:
    """Event tuples (COLUMNS order) of one chain in seq order, fetched in chunks.

    The ORM writes the query; the rows come straight off a chunked (on PostgreSQL
    server-side) cursor without Django's per-value converters: the hash covers the stored
    text anyway, so parsing each timestamp and details document only to print it again
    would double the cost of a million-event walk. `hashed_text` reads the raw values.
    """
    query = AuditEvent.objects.filter(workspace_id=workspace_id, seq__gte=first_seq)
    if last_seq is not None:
        query = query.filter(seq__lte=last_seq)
    columns = list(COLUMNS)
    if connection.vendor in CANONICAL_TIME:
        query = query.annotate(canonical_time=CANONICAL_TIME[connection.vendor])
        columns[COLUMNS.index("occurred_at")] = "canonical_time"
    query = query.order_by("seq").values_list(*columns)
    sql, params = query.query.sql_with_params()
    # On PostgreSQL a transaction lets the named cursor stream (no WITH HOLD copy) and gives
    # the walk one snapshot; on SQLite it would take the write lock, so none there.
    streaming = connection.vendor == "postgresql" and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    )
    with (
        transaction.atomic() if streaming else nullcontext(),
        connection.chunked_cursor() if streaming else connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK):
            yield from chunk


def hashed_text(workspace_id: int | None, row: tuple) -> str:
    """The canonical text of a row: what its hash must be the SHA-256 of."""
    (_, seq, occurred_at, actor_id, actor_label, action, target_type, target_id,
     target_label, outcome, details, prev_hash, _) = row  # fmt: skip
    if isinstance(details, str | bytes):
        details = json.loads(details)
    return canonical.event_text(
        workspace_id, seq, canonical.timestamp(occurred_at), actor_id, actor_label, action,
        target_type, target_id, target_label, outcome, details, prev_hash,
    )  # fmt: skip


def check_row(row: tuple, text: str, expected_seq: int, prev_hash: str) -> str:
    """What is wrong with one row given its predecessor, or "" (shared with export)."""
    seq = row[1]
    if seq != expected_seq:
        return _seq_problem(expected_seq, seq)
    if canonical.digest(text) != row[12]:
        return "hash does not match its contents"
    if row[11] != prev_hash:
        if expected_seq == 1:
            return "prev_hash is not the chain's genesis value"
        return f"prev_hash does not match event {expected_seq - 1}"
    return ""


def _seq_problem(expected: int, seq: int) -> str:
    if seq > expected:
        return f"event {expected} is missing (the chain jumps to {seq})"
    return f"seq {seq} repeats"


def verify_chain(workspace) -> VerifyResult:
    """Recompute every hash and link of `workspace`'s chain (None = the platform chain)."""
    workspace_id = workspace.pk if workspace is not None else None
    prev_hash = canonical.genesis_hash(workspace_id)
    expected = 1
    count = 0
    for row in rows(workspace_id):
        problem = check_row(row, hashed_text(workspace_id, row), expected, prev_hash)
        if problem:
            gone = row[1] > expected
            broken = Broken(expected if gone else row[1], None if gone else row[0], problem)
            return VerifyResult(count, expected - 1, prev_hash, broken)
        prev_hash = row[12]
        count += 1
        expected += 1
    return _check_head(workspace_id, VerifyResult(count, expected - 1, prev_hash))


def _check_head(workspace_id: int | None, result: VerifyResult) -> VerifyResult:
    """Events cut off the end leave no gap to find; the head still remembers them."""
    head = (
        ChainHead.objects.filter(key=canonical.chain_key(workspace_id))
        .values_list("last_seq", "last_hash")
        .first()
    )
    if head is None or head == (result.last_seq, result.last_hash):
        if head is None and result.count:
            return _broken(result, result.last_seq, "the chain head record is missing")
        return result
    last_seq, _ = head
    if last_seq > result.last_seq:
        missing = result.last_seq + 1
        problem = f"event {missing} is missing (the chain head records {last_seq} events)"
        return _broken(result, missing, problem)
    return _broken(result, result.last_seq, "the chain head does not match the last event")


def _broken(result: VerifyResult, seq: int, problem: str) -> VerifyResult:
    return VerifyResult(result.count, result.last_seq, result.last_hash, Broken(seq, None, problem))

"""Append events to a chain: the one write path into the audit timeline.

Appenders of one chain queue on its `ChainHead` row (SELECT ... FOR UPDATE; SQLite's
IMMEDIATE transactions serialize writers already), so two processes can never give out
the same seq or fork the chain. Call `record` inside the transaction of the action it
describes, so both commit or neither does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.audit import canonical
from apps.audit.models import AuditEvent, ChainHead

OUTCOMES = frozenset(AuditEvent.Outcome.values)
BULK_BATCH = 2000

#: How the actions being recorded were asked for ("api" for REST calls; unset for pages and
#: jobs). Set around a request by `via`, so the do_* actions need not carry it.
_via: ContextVar[str | None] = ContextVar("audit_via", default=None)


@contextmanager
def via(channel: str) -> Iterator[None]:
    """Events recorded inside the block say `"via": channel` in their details."""
    token = _via.set(channel)
    try:
        yield
    finally:
        _via.reset(token)


def record(
    workspace,
    actor,
    action: str,
    *,
    target=None,
    outcome: str = "ok",
    details: dict | None = None,
) -> AuditEvent:
    """Append one event to `workspace`'s chain (None = the platform chain) and return it."""
    workspace_id = workspace.pk if workspace is not None else None
    if channel := _via.get():
        details = {**(details or {}), "via": channel}
    with transaction.atomic():
        head = _lock_head(workspace_id)
        event = _build(
            workspace_id,
            head.last_seq + 1,
            head.last_hash,
            timezone.now(),
            actor,
            action,
            target,
            outcome,
            details,
        )
        event.save()
        _advance(head, event.seq, event.hash)
    return event


def record_many(workspace, events: Iterable[Mapping]) -> int:
    """Chain a batch in one transaction (imports, benchmarks); returns how many were added.

    Each item holds `record`'s keywords (`action`, and optionally `actor`, `target`,
    `outcome`, `details`) plus an optional `occurred_at`; items are chained in order.
    """
    workspace_id = workspace.pk if workspace is not None else None
    added = 0
    with transaction.atomic():
        head = _lock_head(workspace_id)
        seq, prev_hash = head.last_seq, head.last_hash
        batch: list[AuditEvent] = []
        for spec in events:
            seq += 1
            event = _build(
                workspace_id,
                seq,
                prev_hash,
                spec.get("occurred_at") or timezone.now(),
                spec.get("actor"),
                spec["action"],
                spec.get("target"),
                spec.get("outcome", "ok"),
                spec.get("details"),
            )
            prev_hash = event.hash
            batch.append(event)
            if len(batch) >= BULK_BATCH:
                AuditEvent.objects.bulk_create(batch)
                added += len(batch)
                batch = []
        if batch:
            AuditEvent.objects.bulk_create(batch)
            added += len(batch)
        if added:
            _advance(head, seq, prev_hash)
    return added


def _lock_head(workspace_id: int | None) -> ChainHead:
    key = canonical.chain_key(workspace_id)
    head = ChainHead.objects.select_for_update().filter(key=key).first()
    if head is None:
        # First event of the chain: whoever loses the insert race waits, then locks the winner's.
        last = (
            AuditEvent.objects.filter(workspace_id=workspace_id)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
        seq, last_hash = last or (0, canonical.genesis_hash(workspace_id))
        ChainHead.objects.bulk_create(
            [ChainHead(key=key, last_seq=seq, last_hash=last_hash)], ignore_conflicts=True
        )
        head = ChainHead.objects.select_for_update().get(key=key)
    return head


def _advance(head: ChainHead, seq: int, last_hash: str) -> None:
    head.last_seq, head.last_hash = seq, last_hash
    head.save(update_fields=["last_seq", "last_hash"])


def _actor(actor) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    return actor.pk, (getattr(actor, "email", "") or str(actor))[:254]


def _target(target) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    return target._meta.label, str(target.pk), str(target)[:300]


def _build(
    workspace_id: int | None,
    seq: int,
    prev_hash: str,
    occurred_at: datetime,
    actor,
    action: str,
    target,
    outcome: str,
    details: dict | None,
) -> AuditEvent:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, not {outcome!r}")
    if not action:
        raise ValueError("an audit event needs an action name")
    actor_id, actor_label = _actor(actor)
    target_type, target_id, target_label = _target(target)
    details = canonical.normalize_details(details)
    text = canonical.event_text(
        workspace_id, seq, canonical.timestamp(occurred_at), actor_id, actor_label, action,
        target_type, target_id, target_label, outcome, details, prev_hash,
    )  # fmt: skip
    return AuditEvent(
        workspace_id=workspace_id,
        seq=seq,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        outcome=outcome,
        details=details,
        prev_hash=prev_hash,
        hash=canonical.digest(text),
    )

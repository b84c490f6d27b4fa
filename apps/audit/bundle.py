"""Export a date range of one chain as a signed bundle an auditor can check offline.

A bundle is a .zip of `events.jsonl` (one event per line: its hashed text plus its hash),
`manifest.json` (what the range holds and the SHA-256 of events.jsonl) and `manifest.sig`
(Ed25519 over the manifest's bytes). Events stream from the database in chunks and are
re-verified on the way out: the platform never signs a chain it has not just checked.
docs/audit.md describes the format; apps/audit/bundle_verify.py checks it.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import BinaryIO

from django.utils import timezone

from apps.audit import canonical, keys
from apps.audit.models import AuditEvent
from apps.audit.verify import check_row, hashed_text, rows
from apps.workspaces.actions import ActionRefused

BUNDLE_FORMAT = "nublox-audit-bundle"
BUNDLE_VERSION = 1
EVENTS, MANIFEST, SIGNATURE = "events.jsonl", "manifest.json", "manifest.sig"
WRITE_EVERY = 2000  # lines joined per write: fewer zip calls, bounded memory


class ExportRefused(ActionRefused):
    """Nothing to export, or a chain that does not verify (the message says which event)."""


@dataclass(frozen=True)
class SeqRange:
    first: int
    last: int


def seq_range(workspace_id: int | None, start: date | None, end: date | None) -> SeqRange | None:
    """The contiguous run of seqs from the first event on `start` to the last one on `end`.

    Dates are whole UTC days, both ends included. The bundle is always a contiguous piece
    of the chain, so consecutive bundles link (one's last hash is the next one's anchor).
    """
    events = AuditEvent.objects.filter(workspace_id=workspace_id)
    if start is not None:
        events = events.filter(occurred_at__gte=_midnight(start))
    if end is not None:
        events = events.filter(occurred_at__lt=_midnight(end + timedelta(days=1)))
    first = events.order_by("occurred_at", "seq").values_list("seq", flat=True).first()
    last = events.order_by("-occurred_at", "-seq").values_list("seq", flat=True).first()
    if first is None or last is None:
        return None
    return SeqRange(min(first, last), max(first, last))


def export_bundle(workspace, out: BinaryIO | str, start: date | None, end: date | None) -> dict:
    """Write the bundle for `workspace` (None = platform chain) to `out`; returns its manifest."""
    workspace_id = workspace.pk if workspace is not None else None
    span = seq_range(workspace_id, start, end)
    if span is None:
        raise ExportRefused(f"No audit events {_describe(start, end)}: nothing to export.")
    anchor = _anchor(workspace_id, span.first)
    signer = keys.signing_key()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as bundle:
        with bundle.open(EVENTS, "w", force_zip64=True) as events:
            count, last_hash, events_sha = _write_events(events, workspace_id, span, anchor)
        manifest = {
            "format": BUNDLE_FORMAT,
            "format_version": BUNDLE_VERSION,
            "event_format_version": canonical.FORMAT_VERSION,
            "workspace": workspace.slug if workspace is not None else None,
            "workspace_id": workspace_id,
            "chain": canonical.chain_key(workspace_id),
            "range": {"from": _iso(start), "to": _iso(end)},
            "count": count,
            "first_seq": span.first,
            "last_seq": span.last,
            "anchor_prev_hash": anchor,
            "last_hash": last_hash,
            "events_sha256": events_sha,
            "created_at": canonical.timestamp(timezone.now()),
            "signing_key_fingerprint": keys.fingerprint(signer.public_key()),
        }
        manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        bundle.writestr(MANIFEST, manifest_bytes)
        bundle.writestr(SIGNATURE, signer.sign(manifest_bytes))
    return manifest


def _write_events(sink, workspace_id, span: SeqRange, anchor: str) -> tuple[int, str, str]:
    sha = hashlib.sha256()
    prev_hash, expected, pending = anchor, span.first, []
    for row in rows(workspace_id, span.first, span.last):
        text = hashed_text(workspace_id, row)
        problem = check_row(row, text, expected, prev_hash)
        if problem:
            raise ExportRefused(
                f"The audit chain does not verify (event {min(row[1], expected)}: {problem}); "
                "nothing was exported. Run `manage.py audit_verify` for details."
            )
        prev_hash = row[12]
        pending.append(canonical.bundle_line(text, prev_hash))
        expected += 1
        if len(pending) >= WRITE_EVERY:
            _flush(sink, sha, pending)
            pending = []
    _flush(sink, sha, pending)
    count = expected - span.first
    if count != span.last - span.first + 1:
        raise ExportRefused(f"The audit chain does not verify: event {expected} is missing.")
    return count, prev_hash, sha.hexdigest()


def _flush(sink, sha, lines: list[str]) -> None:
    data = "".join(lines).encode()
    sha.update(data)
    sink.write(data)


def _anchor(workspace_id: int | None, first_seq: int) -> str:
    """The prev_hash the range starts from: the genesis value, or the event before it."""
    if first_seq == 1:
        return canonical.genesis_hash(workspace_id)
    before = (
        AuditEvent.objects.filter(workspace_id=workspace_id, seq=first_seq - 1)
        .values_list("hash", flat=True)
        .first()
    )
    if before is None:
        raise ExportRefused(f"The audit chain does not verify: event {first_seq - 1} is missing.")
    return before


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _describe(start: date | None, end: date | None) -> str:
    if start and end:
        return f"between {start} and {end}"
    if start:
        return f"on or after {start}"
    if end:
        return f"on or before {end}"
    return "in this chain"

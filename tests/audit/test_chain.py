"""The chain itself: appends, links, append-only refusals, and verify naming the broken event.

Runs on the embedded SQLite here and again on PostgreSQL (tests/platform/test_production_parts.py).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import UTC
from pathlib import Path

import pytest
from django.db.models import ProtectedError

from apps.audit import canonical
from apps.audit.log import record, record_many
from apps.audit.models import AppendOnly, AuditEvent, ChainHead
from apps.audit.verify import verify_chain
from tests.audit.helpers import TABLE, tamper


def _events(workspace):
    return list(AuditEvent.objects.filter(workspace=workspace).order_by("seq"))


def test_events_chain_per_workspace_from_the_genesis_value(world, quiet):
    owner = world.users["owner"]
    project = world.acme.projects.get()
    first = record(quiet, owner, "project.save", target=project, details={"name": "x"})
    second = record(quiet, None, "learn", outcome="failed")
    before = AuditEvent.objects.filter(workspace=world.globex).order_by("seq").last()
    other = record(world.globex, world.users["outsider"], "connection.create")

    assert (first.seq, second.seq, other.seq) == (1, 2, before.seq + 1)
    assert first.prev_hash == canonical.genesis_hash(quiet.pk)
    assert second.prev_hash == first.hash and other.prev_hash == before.hash
    assert canonical.genesis_hash(world.globex.pk) != first.prev_hash
    assert (first.actor_id, first.actor_label) == (owner.pk, "owner@acme.test")
    assert (first.target_type, first.target_id, first.target_label) == (
        "workspaces.Project", str(project.pk), str(project)
    )  # fmt: skip
    assert (second.actor_id, second.actor_label, second.outcome) == (None, "", "failed")
    head = ChainHead.objects.get(key=f"workspace:{quiet.pk}")
    assert (head.last_seq, head.last_hash) == (2, second.hash)
    assert verify_chain(quiet).ok and verify_chain(world.globex).ok


def test_the_platform_chain_is_separate(world, quiet):
    record(quiet, None, "learn")
    a = record(None, world.users["viewer"], "account.sign_in")
    b = record(None, None, "account.sign_in_failed", outcome="refused")
    assert (a.seq, b.seq, a.workspace_id) == (1, 2, None)
    assert a.prev_hash == canonical.genesis_hash(None)
    result = verify_chain(None)
    assert (result.ok, result.count, result.last_hash) == (True, 2, b.hash)


def test_the_stored_hash_is_reproducible_from_the_row(world, quiet):
    """Details read back from the database hash the same as the ones given to record()."""
    details = {"b": (1, 2), 3: "drei", "é": {"z": None, "a": 1.5}, "t": True, "s": 'a\nb"c'}
    event = record(quiet, world.users["owner"], "policy.save", details=details)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.details == {"b": [1, 2], "3": "drei", "é": {"z": None, "a": 1.5}, "t": True,
                              "s": "a\nb\"c"}  # fmt: skip
    body = {
        "v": 1, "workspace": quiet.pk, "seq": 1, "actor_id": stored.actor_id,
        "occurred_at": canonical.timestamp(stored.occurred_at), "action": "policy.save",
        "actor_label": stored.actor_label, "target_type": "", "target_id": "",
        "target_label": "", "outcome": "ok", "details": stored.details,
        "prev_hash": stored.prev_hash,
    }  # fmt: skip
    assert hashlib.sha256(_reference(body).encode()).hexdigest() == stored.hash
    assert verify_chain(quiet).ok


def _reference(body: dict) -> str:
    """The encoding as docs/audit.md states it, with the standard library's encoder."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize(
    "label, details",
    [("plain", {}), ("ünï cödé ✓ 𝄞", {"z": [1, {"b": None, "a": -2.5e-8}], "A": "\u0000\x1f"}),
     ('quote " back \\ slash \n tab \t', {"big": 2**70, "t": True, "f": False}),
     ("\u2028 line sep", {"ключ": "значение", "emoji": "🔒"})],
)  # fmt: skip
def test_the_fast_template_matches_the_reference_encoder(label, details):
    fields = ("workspace", "seq", "occurred_at", "actor_id", "actor_label", "action",
              "target_type", "target_id", "target_label", "outcome", "details",
              "prev_hash")  # fmt: skip
    values = (None, 12, "2026-03-01T09:30:00.000001Z", 7, label, label, "x.Y", "42", label,
              "ok", details, "ab" * 32)  # fmt: skip
    body = dict(zip(fields, values, strict=True), v=1)
    assert canonical.event_text(*values) == _reference(body)
    assert canonical.event_text(*values[:3], None, *values[4:]) == _reference(
        {**body, "actor_id": None}
    )


def test_the_encoding_is_the_one_docs_audit_md_describes(world, quiet):
    """An auditor's re-implementation, written from the docs, not from apps.audit.canonical."""
    event = record(quiet, world.users["owner"], "member.invite", details={"role": "développeur"})
    stored = AuditEvent.objects.get(pk=event.pk)
    stamp = stored.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = (
        f'{{"action":"member.invite","actor_id":{stored.actor_id},'
        f'"actor_label":"owner@acme.test","details":{{"role":"développeur"}},'
        f'"occurred_at":"{stamp}","outcome":"ok","prev_hash":"{stored.prev_hash}","seq":1,'
        f'"target_id":"","target_label":"","target_type":"","v":1,"workspace":{quiet.pk}}}'
    )
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == stored.hash
    genesis = hashlib.sha256(f"nublox-audit-genesis:v1:workspace:{quiet.pk}".encode())
    assert stored.prev_hash == genesis.hexdigest()


def test_record_many_continues_the_chain_in_order(world, quiet):
    record(quiet, None, "learn")
    added = record_many(quiet, ({"action": "apply", "details": {"i": i}} for i in range(4500)))
    record(quiet, world.users["admin"], "rollback")
    events = _events(quiet)
    assert added == 4500
    assert [e.seq for e in events] == list(range(1, 4503))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert events[1].details == {"i": 0} and events[4500].details == {"i": 4499}
    assert verify_chain(quiet).count == 4502


def test_bad_arguments_are_refused_before_anything_is_written(world, quiet):
    with pytest.raises(ValueError, match="outcome"):
        record(quiet, None, "learn", outcome="maybe")
    with pytest.raises(ValueError):
        record(quiet, None, "learn", details={"x": float("nan")})
    assert not AuditEvent.objects.filter(workspace=quiet).exists()
    assert not ChainHead.objects.filter(key=f"workspace:{quiet.pk}").exists()


def test_the_code_offers_no_update_or_delete(world, quiet):
    event = record(quiet, world.users["owner"], "learn", details={"a": 1})
    event.details = {"a": 2}
    refusals = [
        event.save,
        event.delete,
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="x"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.bulk_update([event], ["details"]),
    ]
    for attempt in refusals:
        with pytest.raises(AppendOnly):
            attempt()
    with pytest.raises(ProtectedError):
        quiet.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.details == {"a": 1} and verify_chain(quiet).ok


def _five(world, quiet):
    for i in range(5):
        record(quiet, world.users["owner"], "connection.update", details={"n": i})
    return _events(quiet)


def test_an_edited_row_is_named_by_verify(world, quiet):
    events = _five(world, quiet)
    assert tamper(f"UPDATE {TABLE} SET details = %s WHERE id = %s", ['{"n": 99}', events[2].pk])
    result = verify_chain(quiet)
    assert not result.ok
    assert (result.broken.seq, result.broken.event_id) == (3, events[2].pk)
    assert result.broken.problem == "hash does not match its contents"
    assert result.count == 2 and "event 3" in result.message


@pytest.mark.parametrize(
    "column, value",
    [("action", "learn"), ("actor_label", "someone@else.test"), ("outcome", "failed"),
     ("occurred_at", "2001-01-01 00:00:00"), ("target_label", "x"), ("actor_id", 7)],
)  # fmt: skip
def test_every_column_is_covered_by_the_hash(world, quiet, column, value):
    events = _five(world, quiet)
    tamper(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, events[1].pk])
    broken = verify_chain(quiet).broken
    assert (broken.seq, broken.event_id) == (2, events[1].pk)


def test_a_rehashed_edit_breaks_the_next_link(world, quiet):
    """Someone who recomputes the edited event's hash still breaks event 4's prev_hash."""
    events = _five(world, quiet)
    row = AuditEvent.objects.filter(pk=events[2].pk).values_list(
        "seq", "occurred_at", "actor_id", "actor_label", "action", "target_type", "target_id",
        "target_label", "outcome", "details", "prev_hash",
    ).get()  # fmt: skip
    body = dict(zip(("seq", "occurred_at", "actor_id", "actor_label", "action", "target_type",
                     "target_id", "target_label", "outcome", "details", "prev_hash"), row,
                    strict=True))  # fmt: skip
    body.update(v=1, workspace=quiet.pk, details={"n": 99})
    body["occurred_at"] = canonical.timestamp(body["occurred_at"])
    forged = hashlib.sha256(_reference(body).encode()).hexdigest()
    tamper(
        f"UPDATE {TABLE} SET details = %s, hash = %s WHERE id = %s",
        [json.dumps({"n": 99}), forged, events[2].pk],
    )
    broken = verify_chain(quiet).broken
    assert (broken.seq, broken.event_id) == (4, events[3].pk)
    assert broken.problem == "prev_hash does not match event 3"


def test_a_deleted_event_is_reported_as_missing(world, quiet):
    events = _five(world, quiet)
    assert tamper(f"DELETE FROM {TABLE} WHERE id = %s", [events[1].pk]) == 1
    broken = verify_chain(quiet).broken
    assert (broken.seq, broken.event_id) == (2, None)
    assert broken.problem.startswith("event 2 is missing")


def test_cutting_off_the_newest_events_is_reported(world, quiet):
    events = _five(world, quiet)
    tamper(f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [events[3].pk, events[4].pk])
    result = verify_chain(quiet)
    assert result.broken.seq == 4
    assert result.broken.problem == "event 4 is missing (the chain head records 5 events)"


def test_swapped_contents_are_reported_at_the_first_swapped_event(world, quiet):
    events = _five(world, quiet)
    tamper(f"UPDATE {TABLE} SET details = %s WHERE id = %s", ['{"n": 3}', events[2].pk])
    tamper(f"UPDATE {TABLE} SET details = %s WHERE id = %s", ['{"n": 2}', events[3].pk])
    broken = verify_chain(quiet).broken
    assert (broken.seq, broken.event_id) == (3, events[2].pk)


def test_the_worked_example_in_the_docs_is_right():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    text = next(line.strip() for line in doc.splitlines() if line.startswith('    {"action"'))
    documented = re.search(r"hash = ([0-9a-f]{64})", doc).group(1)
    genesis = re.search(r"= ([0-9a-f]{64})\n", doc).group(1)
    assert hashlib.sha256(text.encode()).hexdigest() == documented
    assert genesis == canonical.genesis_hash(7) and f'"prev_hash":"{genesis}"' in text
    assert canonical.genesis_hash(None) in doc

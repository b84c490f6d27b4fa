"""The exact bytes an audit event's hash covers, shared by recording, verify and export.

Kept free of Django (stdlib only). docs/audit.md spells the encoding out for anyone
re-implementing it: the JSON object of the event's fields with keys sorted, no spaces,
UTF-8 without \\u escapes for non-ASCII, integers as digits, null for none. `event_text`
writes that object from a fixed template (the key order is known in advance), which is
several times faster than building and sorting a dict per event over a million events;
tests/audit/test_chain.py checks it against a plain `json.dumps(sort_keys=True)`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

FORMAT_VERSION = 1
GENESIS_PREFIX = "nublox-audit-genesis:v1:"

# Sorted keys, no spaces, UTF-8 text (no \u escapes), no NaN/Infinity.
_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_string = json.encoder.encode_basestring  # the same string escaping as _encode


def _refuse(value):
    raise TypeError(f"{type(value).__name__} is not JSON")


# The same encoder made once: JSONEncoder.encode builds a new C encoder on every call,
# a third of the cost of encoding a small details object.
_C_ENCODER = (
    json.encoder.c_make_encoder(None, _refuse, _string, None, ":", ",", True, False, False)
    if json.encoder.c_make_encoder is not None
    else None
)


def _encode_details(value) -> str:
    if _C_ENCODER is None:
        return _encode(value)
    return "".join(_C_ENCODER(value, 0))


def chain_key(workspace_id: int | None) -> str:
    """Names a chain: every workspace has its own, sign-ins go to the platform chain."""
    return "platform" if workspace_id is None else f"workspace:{workspace_id}"


def genesis_hash(workspace_id: int | None) -> str:
    """The prev_hash of a chain's first event: fixed, so a chain cannot be restarted unseen."""
    return hashlib.sha256((GENESIS_PREFIX + chain_key(workspace_id)).encode()).hexdigest()


def timestamp(moment: datetime | str) -> str:
    """UTC with microseconds and a Z: one spelling whatever the database hands back.

    SQLite returns the text Django stored (UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]"), the
    PostgreSQL walk has the server spell it already (apps.audit.verify.CANONICAL_TIME), and
    Python code passes aware datetimes.
    """
    if isinstance(moment, str):
        if len(moment) == 27 and moment[10] == "T" and moment[26] == "Z":
            return moment  # already spelled so by the database
        if len(moment) == 26 and moment[10] == " ":
            return f"{moment[:10]}T{moment[11:]}Z"
        if len(moment) == 19 and moment[10] == " ":
            return f"{moment[:10]}T{moment[11:]}.000000Z"
        moment = datetime.fromisoformat(moment)  # not what Django writes: spelled out below
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


def normalize_details(details: dict | None) -> dict:
    """Details as they will read back from the database (string keys, lists, no NaN)."""
    if not details:
        return {}
    return json.loads(json.dumps(details, ensure_ascii=False, allow_nan=False))


def _number(value) -> str:
    if value is None:
        return "null"
    return str(value) if type(value) is int else _encode(value)


def event_text(
    workspace_id: int | None,
    seq: int,
    occurred_at: str,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    outcome: str,
    details,
    prev_hash: str,
) -> str:
    """The canonical text of an event (occurred_at already through `timestamp`)."""
    return (
        f'{{"action":{_string(action)},"actor_id":{_number(actor_id)},'
        f'"actor_label":{_string(actor_label)},"details":{_encode_details(details)},'
        f'"occurred_at":{_string(occurred_at)},"outcome":{_string(outcome)},'
        f'"prev_hash":{_string(prev_hash)},"seq":{_number(seq)},'
        f'"target_id":{_string(target_id)},"target_label":{_string(target_label)},'
        f'"target_type":{_string(target_type)},"v":{FORMAT_VERSION},'
        f'"workspace":{_number(workspace_id)}}}'
    )


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def bundle_line(text: str, event_hash: str) -> str:
    """An events.jsonl line: the hashed text with `"hash"` appended as its last member.

    Appending (rather than re-sorting) lets a verifier recover the hashed bytes exactly by
    cutting the suffix off, with no JSON encoder of its own.
    """
    return f'{text[:-1]},"hash":"{event_hash}"}}\n'

"""The learned server, shaped for the connection page: facts, and the capability matrix
with the evidence behind every entry (the SQL sent, the answer or the error).

Reads `Connection.capability_json` (`LearnedServer.to_json()`) as plain data: the page
shows what was stored, whatever engine version stored it, so unknown keys are tolerated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: (section title, where its entries live in capability_json)
SECTIONS = (
    ("Capabilities", ("capabilities",)),
    ("Server facts", ("facts",)),
    ("Security", ("security", "facts")),
)


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    description: str
    verdict: str  # "yes", "no", "unknown", "value"
    value: str
    method: str
    statements: list[str]
    answer: str
    error: str
    note: str
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    entries: list[Entry]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _verdict(supported: Any) -> tuple[str, str]:
    if supported is True:
        return "yes", "yes"
    if supported is False:
        return "no", "no"
    if supported is None:
        return "unknown", "could not tell"
    return "value", _text(supported)


def _statements(evidence: dict) -> list[str]:
    """The probe's own SQL if recorded, else everything that was sent."""
    sent = evidence.get("statement") or evidence.get("query") or []
    return [sent] if isinstance(sent, str) else [str(s) for s in sent]


def _entry(data: dict) -> Entry:
    evidence = data.get("evidence") or {}
    verdict, value = _verdict(data.get("supported"))
    error = evidence.get("error") or {}
    return Entry(
        name=str(data.get("name", "")),
        description=str(data.get("description") or ""),
        verdict=verdict,
        value=value,
        method=str(evidence.get("method") or ""),
        statements=_statements(evidence),
        answer=_text(evidence.get("answer")),
        error=" ".join(
            str(error[k]) for k in ("sqlstate", "code", "message") if error.get(k) is not None
        ),
        note=str(evidence.get("note") or ""),
        elapsed_ms=float(evidence.get("elapsed_ms") or 0.0),
    )


def _dig(data: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        data = (data.get(key) or {}) if isinstance(data, dict) else {}
    return data if isinstance(data, dict) else {}


def matrix(capability_json: dict | None) -> list[Section]:
    """The sections of the capability matrix, entries sorted by name; empty if not learned."""
    data = capability_json or {}
    sections = []
    for title, path in SECTIONS:
        entries = [_entry(v) for _, v in sorted(_dig(data, path).items()) if isinstance(v, dict)]
        if entries:
            sections.append(Section(title, entries))
    return sections


def server_facts(capability_json: dict | None) -> list[tuple[str, str]]:
    """(label, value) pairs of what the learn found about the server itself."""
    data = capability_json or {}
    if not data:
        return []
    tls = _dig(data, ("security", "tls"))
    if tls:
        checked = "pinned" if tls.get("pinned") else "verified" if tls.get("verified") else ""
        tls_text = " · ".join(str(x) for x in (tls.get("version"), tls.get("cipher"), checked) if x)
    else:
        tls_text = "not used"
    facts = [
        ("Flavour", data.get("flavour")),
        ("Version", data.get("version")),
        ("Endpoint", data.get("endpoint")),
        ("SQL dialect", data.get("dialect")),
        ("TLS", tls_text),
        ("Authentication", _dig(data, ("security",)).get("auth_plugin")),
        ("Learned at", data.get("learned_at")),
    ]
    return [(label, str(value)) for label, value in facts if value]


def handshake(capability_json: dict | None) -> str:
    """What the connection handshake revealed, as readable JSON (an expandable block)."""
    return _text((capability_json or {}).get("handshake") or None)

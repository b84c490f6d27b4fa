"""What FLO learned about a server, as frozen records that carry their own evidence.

A capability is never a bare yes/no: the Studio shows *why* the engine believes a server can
(or cannot) build an index concurrently, and the planner's choice of strategy cites it. So
every `Capability` keeps the `Evidence` that decided it -- the method, the exact SQL sent,
the answer or the error, the time it took. `supported` is True/False, a value (an integer
limit, a list of isolation levels, the UPSERT spelling) or None when the probe could not
decide (permission denied, timed out); the evidence then says what went wrong.

Records are frozen (fields cannot be reassigned); values that come from a server (answers,
handshake facts) are stored already in their JSON-compatible form (lists, dicts, str), so
`to_json()` returns a JSON-compatible dict (stable key order is the caller's `sort_keys`);
`from_json()` rebuilds the record exactly, so the Studio can store what was learned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def jsonable(value: Any) -> Any:
    """A JSON-compatible copy of a probe answer (tuples -> lists, bytes -> hex, others ->
    str), so evidence can always be serialised whatever the server returned."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


@dataclass(frozen=True, slots=True)
class Evidence:
    """How a fact was decided. `query` is the SQL sent (several statements as a tuple, in
    order, including the transaction and timeout statements around them); `answer` is what
    came back (JSON-compatible); `error` is {"code", "sqlstate", "message"} when the server
    refused; `note` explains facts taken from a version or documentation rather than a run."""

    method: str
    query: str | tuple[str, ...] | None = None
    answer: Any = None
    error: dict[str, Any] | None = None
    elapsed_ms: float = 0.0
    note: str = ""
    #: the probe's own SQL as the data declares it, without the transaction and timeout
    #: statements around it (what a person reading the evidence wants to see)
    statement: str | tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "query": list(self.query) if isinstance(self.query, tuple) else self.query,
            "answer": jsonable(self.answer),
            "error": dict(self.error) if self.error is not None else None,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "note": self.note,
            "statement": list(self.statement)
            if isinstance(self.statement, tuple)
            else self.statement,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        query = data.get("query")
        statement = data.get("statement")
        error = data.get("error")
        return cls(
            method=data["method"],
            query=tuple(query) if isinstance(query, list) else query,
            answer=data.get("answer"),
            error=dict(error) if error is not None else None,
            elapsed_ms=float(data.get("elapsed_ms") or 0.0),
            note=data.get("note") or "",
            statement=tuple(statement) if isinstance(statement, list) else statement,
        )


@dataclass(frozen=True, slots=True)
class Capability:
    """One probed fact: a capability (`window_functions`), a limit (`max_identifier_length`)
    or a security fact (`grants`)."""

    name: str
    supported: Any
    evidence: Evidence
    description: str = ""

    @property
    def known(self) -> bool:
        return self.supported is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "supported": jsonable(self.supported),
            "description": self.description,
            "evidence": self.evidence.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Capability:
        return cls(
            name=data["name"],
            supported=data.get("supported"),
            evidence=Evidence.from_json(data["evidence"]),
            description=data.get("description") or "",
        )


@dataclass(frozen=True, slots=True)
class DatabaseEntry:
    """A database on a server, and whether the server itself owns it (system catalogs,
    templates): those are hidden unless asked for."""

    name: str
    system: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "system": self.system}


def _name(capability: Capability) -> str:
    return capability.name


def _by_name(items: tuple[Capability, ...]) -> dict[str, Capability]:
    return {c.name: c for c in items}


@dataclass(frozen=True, slots=True)
class LearnedServer:
    """Everything `learn_server` found out about one server.

    `family` is the FLO data folder's family (from transports/flo/<family>/probes.json),
    `flavour` what the evidence says the server really is (mariadb vs mysql, ...).
    `handshake` holds what the connection handshake revealed (capability flags decoded by
    name, server parameters); `facts` the evidence for version, flavour and identity;
    `security` TLS, auth and the connected user's roles and privileges.
    Capability tuples are sorted by name (their JSON form is keyed by name).
    `fingerprint` hashes only stable facts (see engine.flo.server.fingerprint_of);
    `learned_at` is deliberately not part of it.
    """

    family: str
    flavour: str
    version: str
    version_tuple: tuple[int, ...]
    endpoint: str
    dialect: str
    handshake: dict[str, Any]
    facts: tuple[Capability, ...]
    capabilities: tuple[Capability, ...]
    tls: dict[str, Any] | None
    auth_plugin: str | None
    security: tuple[Capability, ...]
    fingerprint: str
    learned_at: str = field(default="", compare=False)

    def capability(self, name: str) -> Capability | None:
        return _by_name(self.capabilities).get(name)

    def supports(self, name: str) -> Any:
        """`supported` of a capability, None when it was not probed or undecided."""
        cap = self.capability(name)
        return cap.supported if cap is not None else None

    def fact(self, name: str) -> Capability | None:
        return _by_name(self.facts).get(name) or _by_name(self.security).get(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "flavour": self.flavour,
            "version": self.version,
            "version_tuple": list(self.version_tuple),
            "endpoint": self.endpoint,
            "dialect": self.dialect,
            "fingerprint": self.fingerprint,
            "learned_at": self.learned_at,
            "handshake": jsonable(self.handshake),
            "facts": {c.name: c.to_json() for c in self.facts},
            "capabilities": {c.name: c.to_json() for c in self.capabilities},
            "security": {
                "tls": jsonable(self.tls),
                "auth_plugin": self.auth_plugin,
                "facts": {c.name: c.to_json() for c in self.security},
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LearnedServer:
        security = data.get("security") or {}
        tls = security.get("tls")

        def caps(section: dict[str, Any]) -> tuple[Capability, ...]:
            return tuple(sorted((Capability.from_json(v) for v in section.values()), key=_name))

        return cls(
            family=data["family"],
            flavour=data["flavour"],
            version=data["version"],
            version_tuple=tuple(data.get("version_tuple") or ()),
            endpoint=data["endpoint"],
            dialect=data.get("dialect") or "",
            handshake=dict(data.get("handshake") or {}),
            facts=caps(data.get("facts") or {}),
            capabilities=caps(data.get("capabilities") or {}),
            tls=dict(tls) if tls is not None else None,
            auth_plugin=security.get("auth_plugin"),
            security=caps(security.get("facts") or {}),
            fingerprint=data["fingerprint"],
            learned_at=data.get("learned_at") or "",
        )

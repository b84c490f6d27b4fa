"""Server level FLO: `learn_server(session)` and `list_databases(session)`.

What a server is, what it can do and who we are on it, each fact with the evidence that
decided it. The queries, the flavour rules, the handshake flag names, the probes and the
identity facts are all data in `transports/flo/<family>/probes.json` (the registry names the
folder); this module only sequences them:

1. refuse a session that is inside a transaction (the probes' ROLLBACK would end it);
2. version and flavour, run bare (the timeout wrappers may be flavour specific);
3. capabilities and security facts through the probe runner;
4. identity and fingerprint.

Fingerprint: sha256 over the canonical JSON of family, flavour, full version string, the
endpoint (host:port as the URL names it, or the real path of a file/socket) and the
server's own identity where it has one (PostgreSQL's system identifier, written at initdb
and shared by physical replicas -- hence the endpoint too; MariaDB has no server UUID, so
@@hostname, @@port and @@datadir, which name one instance on one machine; MySQL's
@@server_uuid). Same server -> same value run after run; a new version, another host or a
re-initialised cluster -> another value. `learned_at`, timings and per-connection facts
(thread id, TLS cipher, user) stay out of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from datetime import UTC, datetime
from typing import Any

from engine import errors
from engine.flo.model import Capability, DatabaseEntry, Evidence, LearnedServer, jsonable
from engine.flo.probes import (
    CONVERT,
    ProbeContext,
    Watchdog,
    load_family,
    parse_version,
    read_text,
    run_probe,
    run_probes,
)
from engine.url import pack_document

BARE_TIMEOUT_S = 10.0


def bare_query(ctx: ProbeContext, sql: str) -> tuple[Any, float]:
    """Run one small statement as is (no transaction, no wrapper), under the watchdog."""
    started = time.perf_counter()
    with Watchdog(ctx.session, BARE_TIMEOUT_S):
        result = ctx.session.query(sql)
    return result, round((time.perf_counter() - started) * 1000.0, 3)


def first_row(result: Any) -> list[Any]:
    return list(result.rows[0]) if result is not None and result.rows else []


def refuse_open_transaction(ctx: ProbeContext) -> None:
    spec = ctx.family.get("in_transaction")
    if not spec:
        return
    result, _ = bare_query(ctx, spec["sql"])
    row = first_row(result)
    if row and CONVERT["bool"](row[0]):
        raise errors.InterfaceError(
            "learn_server needs a session outside a transaction: its probes roll back"
        )


def learn_version(ctx: ProbeContext) -> Capability:
    spec = ctx.family["version"]
    sql = spec["sql"]
    try:
        result, elapsed = bare_query(ctx, sql)
        text = str(first_row(result)[0]) if first_row(result) else ""
        error = None
    except errors.ServerError as exc:
        text, elapsed, error = "", 0.0, {"message": exc.message, "sqlstate": exc.sqlstate}
    note = "answer of the version query"
    if not text:
        text = str(ctx.session.server.get("version") or "")
        note = "the version the handshake announced (the version query gave nothing)"
    ctx.version = text
    ctx.version_tuple = parse_version(text, spec.get("pattern", r"(\d+)\.(\d+)(?:\.(\d+))?"))
    ctx.variables["version_sql"] = sql
    evidence = Evidence("query", sql, text, error, elapsed, note, sql)
    return Capability("version", text, evidence, "server version string")


def learn_flavour(ctx: ProbeContext) -> Capability:
    """The first rule whose pattern matches decides; sources are a column of the flavour
    query or a key of what the handshake revealed."""
    spec = ctx.family["flavour"]
    sql = spec.get("sql")
    row: list[Any] = []
    elapsed = 0.0
    error = None
    if sql:
        try:
            result, elapsed = bare_query(ctx, sql)
            row = first_row(result)
        except errors.ServerError as exc:
            error = {"message": exc.message, "sqlstate": exc.sqlstate, "code": exc.code}
    server = ctx.session.server
    flavour, why = spec["default"], "no rule matched: the family default"
    for rule in spec.get("rules") or ():
        if "column" in rule:
            column = rule["column"]
            value = row[column] if column < len(row) else None
            source = f"column {column} of the flavour query"
        else:
            value = server.get(rule["key"])
            source = f"handshake {rule['key']}"
        if value is not None and re.search(rule["pattern"], str(value)):
            flavour, why = rule["flavour"], f"{source} {str(value)!r} matches {rule['pattern']!r}"
            break
    ctx.flavour = flavour
    evidence = Evidence("query", sql, jsonable(row), error, elapsed, why, sql)
    return Capability("flavour", flavour, evidence, "what the server really is")


def handshake_facts(ctx: ProbeContext) -> dict[str, Any]:
    """The allow-listed handshake facts, with capability flag bits decoded by name."""
    spec = ctx.family.get("handshake") or {}
    server = ctx.session.server
    facts = {key: jsonable(server.get(key)) for key in spec.get("keys") or () if key in server}
    caps = server.get("caps")
    names = spec.get("flags") or {}
    if isinstance(caps, int) and names:
        facts["flags"] = sorted(name for name, bit in names.items() if caps & int(bit))
    return facts


def endpoint_of(cfg: Any) -> str:
    """host:port as the URL names it, or the real path of the file or socket."""
    if cfg.path:
        return os.path.realpath(cfg.path) if os.path.exists(cfg.path) else cfg.path
    return f"{(cfg.host or '').lower()}:{cfg.port or ''}"


def fingerprint_of(family: str, flavour: str, version: str, endpoint: str, identity: Any) -> str:
    stable = {
        "family": family,
        "flavour": flavour,
        "version": version,
        "endpoint": endpoint,
        "identity": jsonable(identity),
    }
    canonical = json.dumps(stable, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def learn_identity(ctx: ProbeContext) -> Capability:
    """The server's own identity fact (probes.json "identity"), after the flavour."""
    spec = ctx.family.get("identity") or {
        "method": "fact",
        "note": "no server identity: the endpoint alone identifies it",
    }
    return run_probe(ctx, {"name": "identity", **spec})


def server_fingerprint(session: Any) -> str:
    """`learn_server(session).fingerprint` at a fraction of the cost: only the facts the
    fingerprint covers (flavour, version, identity: three small queries), through the same
    functions, so the value is the same. For snapshots, which name the server they came
    from without running every capability probe."""
    family = load_family(session.cfg.scheme)
    ctx = ProbeContext(session=session, family=family)
    learn_flavour(ctx)
    learn_version(ctx)
    identity = learn_identity(ctx)
    endpoint = endpoint_of(session.cfg)
    return fingerprint_of(family["family"], ctx.flavour, ctx.version, endpoint, identity.supported)


def by_name(items: Any) -> tuple[Capability, ...]:
    """Sorted by name: the JSON form is keyed by name, so this order survives a round trip."""
    return tuple(sorted(items, key=lambda c: c.name))


def learn_server(session: Any) -> LearnedServer:
    """Probe the server behind `session` (read-only, time-bounded, leaves no state)."""
    family = load_family(session.cfg.scheme)
    ctx = ProbeContext(session=session, family=family)
    refuse_open_transaction(ctx)
    flavour = learn_flavour(ctx)
    version = learn_version(ctx)
    capabilities = run_probes(ctx, "capabilities")
    security = run_probes(ctx, "security")
    identity = learn_identity(ctx)
    endpoint = endpoint_of(session.cfg)
    server = session.server
    tls = server.get("tls")
    return LearnedServer(
        family=family["family"],
        flavour=ctx.flavour,
        version=ctx.version,
        version_tuple=ctx.version_tuple,
        endpoint=endpoint,
        dialect=str(pack_document(session.cfg.scheme).get("sql_dialect") or ""),
        handshake=handshake_facts(ctx),
        facts=by_name((version, flavour, identity)),
        capabilities=by_name(capabilities),
        tls=jsonable(dict(tls)) if tls else None,
        auth_plugin=server.get("auth_plugin"),
        security=by_name(security),
        fingerprint=fingerprint_of(
            family["family"], ctx.flavour, ctx.version, endpoint, identity.supported
        ),
        learned_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def databases(session: Any) -> list[DatabaseEntry]:
    """Every database on the server with its system flag, sorted by name. The query is
    transports/flo/<family>/databases.sql: columns (name, is_system)."""
    family = load_family(session.cfg.scheme)
    sql = read_text(family["_folder"], "databases.sql")
    result, _ = bare_query(ProbeContext(session=session, family=family), sql)
    entries = [DatabaseEntry(str(row[0]), CONVERT["bool"](row[1])) for row in result.rows]
    return sorted(entries, key=lambda e: e.name)


def list_databases(session: Any, include_system: bool = False) -> list[str]:
    """Names of the databases on the server (system ones only when asked), sorted."""
    return [e.name for e in databases(session) if include_system or not e.system]

"""Where a plan's two sides come from: a live URL, a snapshot .json, or a .sql file of DDL.

`sqlx plan:diff --from SRC --to DST` accepts any of the three on either side, so the
planner reads them all into the same record: a Snapshot plus what only some sources know
(the server's learned capabilities and table sizes from a live URL; rename annotations from
a .sql file). Which kind a spec is, is decided by its shape (`scheme://` is a URL, a file
ending in .json is a snapshot, anything else is read as DDL), never by guessing content.

A .sql file needs a dialect: the other side's (a desired-state file is written for the
server it will be applied to) or an explicit one. Its snapshot is what the parser makes of
it; `normalise_through_server` can instead create it in a scratch database and learn it
back, so the target hash is exactly what the server will report after apply (the parser
and the server disagree on a few cosmetic spellings: routine and trigger bodies, extension
versions; see tests/flo/test_fidelity.py KNOWN_DIFFERENCES).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from engine import errors
from engine.ir.model import Snapshot
from engine.planner.model import Rename


@dataclass(frozen=True)
class Source:
    """One side of a plan. `kind` is "live", "snapshot" or "ddl"; `label` is what the user
    typed (a URL with its password masked); `ddl` keeps a .sql file's text (for renames and
    scratch normalisation)."""

    kind: str
    label: str
    snapshot: Snapshot
    capabilities: dict = field(default_factory=dict)
    renames: tuple[Rename, ...] = ()
    ddl: str | None = None
    url: str | None = None
    #: the snapshot's profile hash when the reader already computed it (FLO does)
    profile_hash: str | None = None
    #: (snapshot, `apply_checks.object_digests(snapshot)`) when already computed (a live
    #: side's, with its profile hash, in the process that learned it: `sqlx plan:diff`
    #: learns the two sides side by side); used only while `snapshot` is still this
    #: side's snapshot
    digests: tuple[Snapshot, dict] | None = field(default=None, compare=False)
    #: profile_hash(snapshot, column_order=False), made with `digests` (same snapshot)
    unordered_hash: str | None = field(default=None, compare=False)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "dialect": self.snapshot.dialect,
            "database": self.snapshot.source.get("database"),
            "server": self.snapshot.source.get("server"),
            "normalised": self.snapshot.source.get("normalised"),
        }


def is_url(spec: str) -> bool:
    return "://" in spec and not os.path.exists(spec)


def load_source(
    spec: str,
    *,
    dialect: str | None = None,
    database: str | None = None,
    connect_options: dict | None = None,
    probe: bool = True,
    normaliser: Any = None,
) -> Source:
    """Read one side. `dialect` is needed for a .sql file (PlanError without it).
    `probe=False`: a live side whose capabilities nobody asks for (a plan's target:
    plans are made for the source's server) skips FLO's probes, about 140 small
    queries; its server fingerprint is read all the same. `normaliser`: a live side's
    SQL fragments are parsed in that helper (`engine.flo.normaliser.start()`)."""
    if is_url(spec):
        return _live(spec, database, connect_options or {}, probe, normaliser)
    if spec.endswith(".json"):
        return _snapshot_file(spec)
    return _ddl_file(spec, dialect)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise errors.PlanError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.PlanError(f"{path}: cannot read: {exc}") from None


def _snapshot_file(path: str) -> Source:
    from engine import ir

    text = _read(path)
    try:
        snapshot = ir.loads(text)
    except errors.EngineError as exc:
        raise errors.PlanError(f"{path}: not a schema snapshot: {exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise errors.PlanError(f"{path}: not a schema snapshot: {exc}") from None
    return Source(kind="snapshot", label=path, snapshot=snapshot)


def _ddl_file(path: str, dialect: str | None) -> Source:
    from engine import ir
    from engine.planner.hints import renames_from_sql

    text = _read(path)
    if not dialect:
        raise errors.PlanError(
            f"{path}: a .sql file needs a dialect: give a URL or snapshot on the other side, "
            "or --dialect postgres|mysql|sqlite"
        )
    try:
        snapshot = ir.parse_ddl(text, dialect)
    except errors.EngineError as exc:
        raise errors.PlanError(f"{path}: {exc}") from None
    snapshot = dataclasses.replace(snapshot, source={"kind": "ddl", "file": path})
    return Source(
        kind="ddl",
        label=path,
        snapshot=snapshot,
        renames=renames_from_sql(text, dialect),
        ddl=text,
    )


def _live(
    url: str, database: str | None, options: dict, probe: bool = True, normaliser: Any = None
) -> Source:
    from engine import connect
    from engine.flo import learn_server, list_databases
    from engine.flo.database import learn_database
    from engine.flo.server import server_fingerprint
    from engine.ir.canonical import with_source
    from engine.planner.apply_checks import object_digests
    from engine.url import mask_url

    try:
        with connect(url, **options) as session:
            server = learn_server(session) if probe else None
            fingerprint = server_fingerprint(session) if server is None else server.fingerprint
            name = database or session.cfg.database or _default_database(session, list_databases)
            learned = learn_database(
                session,
                name,
                server_fingerprint=fingerprint,
                normaliser=normaliser,
                column_order_aside=True,  # both hashes a plan needs, in one pass
            )
    finally:
        if normaliser is not None:  # ended by learn_database, unless it never got there
            normaliser.close()
    source = {**learned.snapshot.source, "server": fingerprint, "url": mask_url(url)}
    snapshot = with_source(learned.snapshot, source=source, stats=learned.snapshot.stats)
    unordered, texts = learned.column_order_aside or (None, None)
    side = Source(
        kind="live",
        label=mask_url(url),
        snapshot=snapshot,
        url=url,
        profile_hash=learned.profile_hash,
        digests=None if texts is None else (snapshot, object_digests(snapshot, texts)),
        unordered_hash=unordered,
    )
    if server is None:  # a plan's target: its server's capabilities are never asked for
        return side
    # imported here, not above: it imports sqlglot, which a side read without probes and
    # with its fragments parsed in a helper (`normaliser`) never needs
    from engine.planner.online import capabilities_of

    return dataclasses.replace(side, capabilities=capabilities_of(server))


def probe_server(url: str) -> Any:
    """The server behind a live side, probed on a connection of its own (a LearnedServer):
    what `load_source(url)` learns besides the schema, for a caller that reads the schema
    with `probe=False` elsewhere at the same time (`with_server` joins the two)."""
    from engine import connect
    from engine.flo import learn_server

    with connect(url) as session:
        return learn_server(session)


def with_server(side: Source, server: Any) -> Source | None:
    """`side` (live, read with `probe=False`) with the capabilities of `server`
    (`probe_server`), as `load_source` with probes gives it; None when the probes reached
    another server than the schema read did (a pooler in front of several): the caller
    then reads the side again on one connection, so a plan never mixes two servers."""
    from engine.planner.online import capabilities_of

    if server.fingerprint != side.snapshot.source.get("server"):
        return None
    return dataclasses.replace(side, capabilities=capabilities_of(server))


def prepare_live(url: str, parser: bool = True) -> None:
    """Load now what reading a live side of `url` will load on first use: its wire pack,
    the value decoders and auth primitives, the family's probe and catalog data, and
    (`parser`) sqlglot with its SQL dialect's parser and generator. `sqlx plan:diff` calls
    it before it forks, so the processes that read the sides do not each load it again
    (about 0.1 s of CPU apiece, which a busy two-core machine feels). A URL that cannot be
    prepared is left for the read itself to report."""
    import encodings.idna  # noqa: F401  (a host name, on the first connect)

    import engine.flo.catalog_rows
    import engine.planner.apply_checks  # a side's digests
    import engine.wirevm.values  # noqa: F401
    from engine.flo.catalog import load_catalog
    from engine.flo.probes import family_folder, load_family
    from engine.session import wire_target
    from engine.url import pack_document, parse_url

    try:
        scheme = parse_url(url).scheme
        wire_target(scheme)
        load_family(scheme)
        load_catalog(family_folder(scheme))
        dialect = pack_document(scheme).get("sql_dialect")
    except errors.EngineError:
        return
    if parser and dialect:
        from engine.ir.normalize import normalize_expr

        normalize_expr(dialect, "1")


def _default_database(session: Any, list_databases: Any) -> str:
    names = list_databases(session)
    if len(names) == 1:
        return names[0]
    raise errors.ConfigError(
        f"say which database: put it in the URL (this server has: {', '.join(names) or 'none'})"
    )


def table_sizes(snapshot: Snapshot) -> tuple[dict, dict]:
    """(rows, bytes) per (schema, table) from a learned snapshot's stats (empty otherwise)."""
    rows: dict = {}
    sizes: dict = {}
    by_name = {(f"{t.schema}.{t.name}" if t.schema else t.name): t.key for t in snapshot.tables}
    for name, values in (snapshot.stats.get("tables") or {}).items():
        key = by_name.get(name)
        if key is None:
            continue
        if values.get("rows") is not None:
            rows[key] = int(values["rows"])
        if values.get("bytes") is not None:
            sizes[key] = int(values["bytes"])
    return rows, sizes


def normalise_through_server(desired: Source, live: Source) -> Source:
    """`desired` (a .sql side) as the live side's server reads it back: the DDL runs in a
    scratch database on that server, which is learned and dropped.

    Why: the target hash is what apply verifies against, and the parser and the server
    disagree on a few spellings (routine and trigger bodies as the server reprints them,
    an extension's installed version). Planning against what the server itself makes of
    the file removes those false differences, and proves the file runs there before
    anything else. A server that cannot give the tool a scratch database (no privilege)
    leaves the parser's snapshot, with a note saying so in the plan."""
    from engine import connect
    from engine.flo.database import learn_database
    from engine.planner.apply import target_database
    from engine.planner.journal import family_spec
    from engine.planner.rehearse import scratch_database
    from engine.session import connect as connect_config

    assert desired.ddl is not None and live.url is not None
    try:
        with (
            connect(live.url) as session,
            scratch_database(session) as (cfg, name, label),
            contextlib.closing(connect_config(cfg)) as scratch,
        ):
            try:
                scratch.query(desired.ddl)
            except errors.ServerError as exc:
                raise errors.PlanError(
                    f"{desired.label} does not run on the server: {exc}"
                ) from None
            db = target_database(scratch, family_spec(scratch), name)
            snapshot = learn_database(scratch, db).snapshot
    except errors.PlanRefused as exc:
        source = {**desired.snapshot.source, "normalised": f"no: {exc.message}"}
        parsed = dataclasses.replace(desired.snapshot, source=source)
        return dataclasses.replace(desired, snapshot=parsed)
    source = {"kind": "ddl", "file": desired.label, "normalised": f"by the server ({label})"}
    return dataclasses.replace(
        desired, snapshot=dataclasses.replace(snapshot, source=source), profile_hash=None
    )

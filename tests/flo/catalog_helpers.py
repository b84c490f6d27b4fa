"""Shared pieces of the catalog and fidelity tests: fresh databases on demand (several per
test), running a corpus or a list of rendered statements, and a readable field-by-field
diff of two snapshots.

Why a factory instead of fresh_pg_database / fresh_mariadb_database: a fidelity test needs
two or three empty databases at once (create in A, re-create in B, mutate in C), and a
function-scoped fixture hands out one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from engine import connect
from engine.ir import hash_document, model

CORPUS = Path(__file__).resolve().parent / "corpus"

#: family -> (server URL fixture, CREATE, DROP) ; SQLite uses files
SERVERS = {
    "postgres": (
        "pg_url",
        'CREATE DATABASE "{name}"',
        'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
    ),
    "mysql": ("mariadb_url", "CREATE DATABASE `{name}`", "DROP DATABASE IF EXISTS `{name}`"),
}
FAMILIES = ("postgres", "mysql", "sqlite")


def _with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


class Databases:
    """Makes empty databases of one family and drops them at teardown."""

    def __init__(self, family: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.family = family
        self.tmp_path = tmp_path
        self.made: list[str] = []
        self.server = request.getfixturevalue(SERVERS[family][0]) if family in SERVERS else None

    def new(self) -> tuple[str, str]:
        """(url, database name) of a new empty database."""
        name = f"nublox_f_{uuid.uuid4().hex[:12]}"
        if self.server is None:
            return f"sqlite:///{self.tmp_path / (name + '.db')}", "main"
        with connect(self.server) as s:
            s.query(SERVERS[self.family][1].format(name=name))
        self.made.append(name)
        return _with_database(self.server, name), name

    def drop_all(self) -> None:
        if self.server is None:
            return
        with connect(self.server) as s:
            for name in self.made:
                s.query(SERVERS[self.family][2].format(name=name))


@pytest.fixture
def databases(request, tmp_path):
    """databases(family) -> Databases; everything made is dropped after the test."""
    made: list[Databases] = []

    def make(family: str) -> Databases:
        dbs = Databases(family, request, tmp_path)
        made.append(dbs)
        return dbs

    yield make
    for dbs in made:
        dbs.drop_all()


@contextlib.contextmanager
def counting_queries(session):
    """Record every statement `session.query` runs inside the block (learning must issue a
    fixed number of catalog queries, never one per table)."""
    calls: list[str] = []
    real = session.query

    def counting(sql):
        calls.append(sql)
        return real(sql)

    session.query = counting
    try:
        yield calls
    finally:
        session.query = real


def corpus_files(family: str) -> list[Path]:
    return sorted((CORPUS / family).glob("*.sql"))


def run_script(url: str, text: str) -> None:
    """Run a whole .sql file (every family's session accepts several statements)."""
    with connect(url) as s:
        s.query(text)


def run_statements(url: str, statements: list[str]) -> None:
    with connect(url) as s:
        for statement in statements:
            s.query(statement)


def snapshot_diff(a: model.Snapshot, b: model.Snapshot) -> list[str]:
    """Human-readable differences of what the profile hash covers, object by object and
    field by field."""
    ja, jb = hash_document(a), hash_document(b)
    out: list[str] = []
    for key in sorted(set(ja) | set(jb)):
        if key in ("source", "stats"):
            continue
        va, vb = ja.get(key), jb.get(key)
        if va == vb:
            continue
        if isinstance(va, list) and isinstance(vb, list):
            out += _list_diff(key, va, vb)
        else:
            out.append(f"{key}: {va!r} != {vb!r}")
    return out


def _ident(item: object, i: int) -> str:
    if isinstance(item, dict):
        parts = [str(item[k]) for k in ("schema", "table", "name", "arguments") if k in item]
        if parts:
            return ".".join(p for p in parts if p)
    return f"#{i}"


def _list_diff(path: str, a: list, b: list) -> list[str]:
    da = {_ident(x, i): x for i, x in enumerate(a)}
    db = {_ident(x, i): x for i, x in enumerate(b)}
    out = []
    for name in sorted(set(da) | set(db)):
        x, y = da.get(name), db.get(name)
        if x == y:
            continue
        where = f"{path}[{name}]"
        if x is None or y is None:
            out.append(f"{where}: only in {'second' if x is None else 'first'}")
        elif isinstance(x, dict) and isinstance(y, dict):
            for field in sorted(set(x) | set(y)):
                if x.get(field) != y.get(field):
                    fx, fy = x.get(field), y.get(field)
                    if isinstance(fx, list) and isinstance(fy, list):
                        out += _list_diff(f"{where}.{field}", fx, fy)
                    else:
                        out.append(f"{where}.{field}: {fx!r} != {fy!r}")
        else:
            out.append(f"{where}: {x!r} != {y!r}")
    return out


def without(snapshot: model.Snapshot, **cleared: object) -> model.Snapshot:
    return dataclasses.replace(snapshot, **cleared)

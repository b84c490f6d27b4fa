"""Cross-dialect conversion on real servers (SQLite: files): every fidelity corpus
(tests/flo/corpus/<family>/01_objects.sql and orders/*.sql) is learned on its own server,
converted to each other family, rendered, and run on a fresh database of that family. It
must run, and learning the result must give the converted snapshot back -- the same profile
hash -- except where a Loss names the object that differs (each difference must be
explained by a Loss on that object or one that holds it; nothing is waved through).
"""

from __future__ import annotations

import pytest

from engine import connect
from engine.flo import learn_database
from engine.ir import profile_hash, render_ddl
from engine.ir.convert import convert
from tests.flo.catalog_helpers import (  # noqa: F401
    CORPUS,
    FAMILIES,
    databases,
    run_script,
    run_statements,
    snapshot_diff,
)

SOURCES = [
    (family, path.relative_to(CORPUS / family).as_posix())
    for family in FAMILIES
    for path in [
        CORPUS / family / "01_objects.sql",
        *sorted((CORPUS / family / "orders").glob("*.sql")),
    ]
]
PAIRS = [(src, name, dst) for src, name in SOURCES for dst in FAMILIES if dst != src]


def learn(url: str, name: str):
    with connect(url) as s:
        return learn_database(s, name).snapshot


def covered(line: str, losses) -> bool:
    """Whether a snapshot_diff line is about an object some Loss names (or holds)."""
    where = line.split(": ", 1)[0]
    return any(
        loss.path and (where == loss.path or where.startswith((loss.path + ".", loss.path + "[")))
        for loss in losses
    )


@pytest.mark.parametrize(
    ("source", "corpus", "target"), PAIRS, ids=[f"{s}/{c}->{t}" for s, c, t in PAIRS]
)
def test_converted_corpus_is_creatable_and_learns_back(source, corpus, target, databases):  # noqa: F811
    url, name = databases(source).new()
    run_script(url, (CORPUS / source / corpus).read_text())
    learned = learn(url, name)
    assert learned.tables, f"{source}/{corpus}: nothing learned"

    conv = convert(learned, target)
    assert conv.snapshot.dialect == target
    assert [t.name for t in conv.snapshot.tables], "the conversion lost every table"
    statements = render_ddl(conv.snapshot)
    url_b, name_b = databases(target).new()
    run_statements(url_b, statements)  # creatable: every statement runs
    again = learn(url_b, name_b)

    diff = snapshot_diff(conv.snapshot, again)
    unexplained = [line for line in diff if not covered(line, conv.losses)]
    assert not unexplained, (
        f"{source}/{corpus} -> {target}: differences no Loss names:\n" + "\n".join(unexplained)
    )
    if not diff:
        assert profile_hash(again) == profile_hash(conv.snapshot)
    # the tables survive, by name (schemas merged where the target has none)
    assert sorted(t.name for t in again.tables) == sorted(t.name for t in conv.snapshot.tables)

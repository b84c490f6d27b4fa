"""Fragments normalised in a helper process (engine.flo.normaliser) give the snapshot, byte
for byte, that normalising them in place gives: on each family's corpus, when the helper
dies before answering, and with every placeholder resolved before the rules run. The
profile hash computed in a forked child while `alongside` works on the snapshot (as
`sqlx snapshot:pull` writes it) is the hash computed in place.

The helper is only started by a process with no other thread (forking one that has them is
unsafe), and a test process has other tests' server threads: so the learning with a
helper runs in a fresh interpreter (`_LEARN`), and its answer is compared here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine import connect, ir
from engine.flo.database import learn_database
from tests.flo.catalog_helpers import (  # noqa: F401
    FAMILIES,
    corpus_files,
    databases,
    run_script,
)

_LEARN = r"""
import json, os, signal, sys
from engine import connect, ir
from engine.flo import normaliser
from engine.flo.catalog import load_catalog, read_catalog
from engine.flo.database import family_of, learn_database

url, name, mode = sys.argv[1:4]
helper = normaliser.start()
assert helper is not None, "no helper in a fresh process"
if mode == "dead":
    os.kill(helper._pid, signal.SIGKILL)
with connect(url) as s:
    if mode == "records":
        folder, dialect = family_of(s)
        load_catalog(folder)
        records = read_catalog(s, folder, dialect, name, helper)
        left = []
        def walk(v):
            if isinstance(v, normaliser.Deferred):
                left.append(repr(v))
            elif isinstance(v, dict):
                for x in v.values(): walk(x)
            elif isinstance(v, (list, tuple)):
                for x in v: walk(x)
        walk(records)
        views = [v["definition"] for v in records.get("view", {}).values()]
        print(json.dumps({"left": left, "views": views}))
        sys.exit(0)
    seen = []
    learned = learn_database(s, name, normaliser=helper, alongside=seen.append)
    assert seen == [learned.snapshot], "alongside gets the finished snapshot"
source = {k: v for k, v in learned.snapshot.source.items() if k != "learned_at"}
snap = learned.snapshot.__class__(**{
    **{f: getattr(learned.snapshot, f) for f in learned.snapshot.__slots__}, "source": source})
print(json.dumps({"hash": learned.profile_hash, "text": ir.dumps(snap),
                  "asked": len(helper._asked)}))
"""


def _helped(url: str, name: str, mode: str = "normal") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _LEARN, url, name, mode], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-800:]
    return json.loads(done.stdout)


def _text(learned) -> str:
    source = {k: v for k, v in learned.snapshot.source.items() if k != "learned_at"}
    fields = {f: getattr(learned.snapshot, f) for f in learned.snapshot.__slots__}
    return ir.dumps(learned.snapshot.__class__(**{**fields, "source": source}))


def _corpus_database(dbs, family):
    url, name = dbs.new()
    for path in corpus_files(family):
        run_script(url, path.read_text())
    return url, name


def _in_place(url: str, name: str):
    with connect(url) as s:
        return learn_database(s, name)


@pytest.mark.parametrize("family", FAMILIES)
def test_helper_gives_the_same_snapshot_as_in_place(family, databases):  # noqa: F811
    url, name = _corpus_database(databases(family), family)
    plain = _in_place(url, name)
    helped = _helped(url, name)
    assert helped["hash"] == plain.profile_hash
    assert helped["text"] == _text(plain)
    assert helped["asked"] > 0, "the corpus has fragments to parse: the helper had work"


def test_a_dead_helper_falls_back_to_normalising_here(databases):  # noqa: F811
    url, name = _corpus_database(databases("postgres"), "postgres")
    plain = _in_place(url, name)
    helped = _helped(url, name, "dead")
    assert helped["hash"] == plain.profile_hash
    assert helped["text"] == _text(plain)


def test_no_placeholder_survives_into_the_records(databases):  # noqa: F811
    url, name = _corpus_database(databases("postgres"), "postgres")
    got = _helped(url, name, "records")
    assert got["left"] == []
    assert got["views"] and all(isinstance(v, str) and v for v in got["views"])


def test_only_parsed_kinds_are_deferred():
    from engine.flo.normaliser import Normaliser

    helper = Normaliser(pid=-1, requests=-1, answers=-1)  # not started: asks only
    assert not helper.defers("type") and not helper.defers("definition")  # no parser
    assert helper.defers("view") and helper.defers("default") and helper.defers("expression")
    first = helper.function("view")("postgres", "SELECT 1")
    assert helper.function("view")("postgres", "SELECT 1") is first  # one per fragment
    assert helper.function("view")("postgres", "SELECT 2").index == first.index + 1


def test_no_helper_where_forking_is_not_safe(monkeypatch):
    from engine.flo import normaliser

    monkeypatch.setenv("SQLX_NO_FORK", "1")
    assert normaliser.start() is None


def test_alongside_sees_the_snapshot_and_the_hash_is_unchanged(databases):  # noqa: F811
    url, name = _corpus_database(databases("postgres"), "postgres")
    plain = _in_place(url, name)
    seen = []
    with connect(url) as s:
        learned = learn_database(s, name, alongside=seen.append)
    assert learned.profile_hash == plain.profile_hash
    assert seen == [learned.snapshot]

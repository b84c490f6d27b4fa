"""The direct canonical writers (engine.ir.canonical.dumps / hash_text) give exactly the
bytes of the json module's reference encoding, on snapshots learned from every family."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from engine import connect
from engine.flo import learn_database
from engine.ir import canonical, hash_document, profile_hash, to_json
from tests.flo.catalog_helpers import FAMILIES, corpus_files, databases, run_script  # noqa: F401


def reference_text(snapshot) -> str:
    return json.dumps(to_json(snapshot), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def reference_hash(snapshot, column_order: bool = True) -> str:
    doc = hash_document(snapshot, column_order=column_order)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("family", FAMILIES)
def test_direct_writers_match_the_json_module(family, databases):  # noqa: F811
    url, name = databases(family).new()
    run_script(url, corpus_files(family)[0].read_text())
    with connect(url) as s:
        learned = learn_database(s, name)
    snap = learned.snapshot
    assert snap.tables and snap.views
    assert canonical.dumps(snap) == reference_text(snap)
    assert learned.profile_hash == profile_hash(snap) == reference_hash(snap)
    assert profile_hash(snap, column_order=False) == reference_hash(snap, column_order=False)
    # a copy that is not the sorted original is sorted again, with the same text
    copy = dataclasses.replace(snap, tables=tuple(reversed(snap.tables)))
    assert canonical.dumps(copy) == reference_text(snap)


def test_writers_escape_like_the_json_module():
    from engine.ir import model

    col = model.Column(name='q"uo\\te\n', type="text", default="'é ✓ \x01'", comment="\t")
    snap = canonical.build_snapshot(
        "postgres",
        tables=[model.Table(schema="s", name="t", columns=(col,))],
        source={"kind": "live", "nested": {"list": [1, "two", None, True]}, "empty": {}},
        stats={"counts": {}, "tables": {"s.t": {"rows": None, "bytes": 0}}},
    )
    assert canonical.dumps(snap) == reference_text(snap)
    assert profile_hash(snap) == reference_hash(snap)

"""The planner's shortcuts change no plan: digests computed where a side was learned, the
foreign-key index of type changes, and `sqlx plan:diff` learning one side in a child
process (compared with the same command on threads, SQLX_NO_FORK=1)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import ir
from engine.ir import model
from engine.planner import make_plan
from engine.planner.apply_checks import object_digests
from engine.planner.diff_columns import _foreign_keys_touching
from engine.planner.serial import dumps
from engine.planner.sources import Source
from tests.flo.catalog_helpers import databases, run_script  # noqa: F401

CORPUS = Path(__file__).parent / "corpus"


def _parses(pair: Path) -> bool:
    """Pairs whose files are DDL only (others seed rows with INSERT for the apply tests)."""
    try:
        for name in ("a.sql", "b.sql"):
            ir.parse_ddl((pair / name).read_text(), pair.parent.name)
    except Exception:
        return False
    return True


PAIRS = sorted(p for p in CORPUS.glob("*/*") if (p / "a.sql").exists() and _parses(p))


def _side(path: Path, dialect: str) -> Source:
    snap = ir.parse_ddl(path.read_text(), dialect)
    return Source(kind="snapshot", label=path.name, snapshot=snap)


def _plan_text(plan) -> str:
    doc = json.loads(dumps(plan))
    doc["source"].pop("created_at", None)
    return json.dumps(doc, sort_keys=True)


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{p.parent.name}/{p.name}" for p in PAIRS])
def test_precomputed_digests_give_the_same_plan(pair):
    dialect = pair.parent.name
    a, b = _side(pair / "a.sql", dialect), _side(pair / "b.sql", dialect)
    plain = make_plan(a, b)
    digests = (a.snapshot, object_digests(a.snapshot))
    with_digests = make_plan(dataclasses.replace(a, digests=digests), b)
    assert _plan_text(with_digests) == _plan_text(plain)
    assert plain.source["from"]["objects"] == object_digests(a.snapshot)


def test_digests_of_another_snapshot_are_not_used():
    a = ir.parse_ddl("CREATE TABLE t (id int)", "postgres")
    b = ir.parse_ddl("CREATE TABLE t (id bigint)", "postgres")
    wrong = Source(kind="snapshot", label="a", snapshot=a, digests=(a, {"table x": "0"}))
    other = dataclasses.replace(wrong, snapshot=b)  # digests were made for `a`, not `b`
    plan = make_plan(other, Source(kind="snapshot", label="b", snapshot=b))
    assert plan.source["from"]["objects"] == object_digests(b)


def _scan(snap: model.Snapshot, key: tuple[str, str]) -> list:
    return [
        (owner, fk)
        for owner in snap.tables
        for fk in owner.foreign_keys
        if owner.key == key or (fk.ref_schema, fk.ref_table) == key
    ]


def test_foreign_key_index_meets_keys_in_scan_order():
    tables = []
    for i in range(40):
        fks = [
            model.ForeignKey(name=f"f{i}_{j}", columns=("a",), ref_schema="s",
                             ref_table=f"t{(i * 7 + j) % 40}", ref_columns=("id",))
            for j in range(3)
        ]  # fmt: skip
        cols = (model.Column(name="a", type="integer"),)
        tables.append(model.Table(schema="s", name=f"t{i}", columns=cols, foreign_keys=tuple(fks)))
    snap = ir.build_snapshot("postgres", tables=tables)
    for t in snap.tables:
        got = _foreign_keys_touching(snap, t.key)
        assert [(o.key, f.name) for o, f in got] == [(o.key, f.name) for o, f in _scan(snap, t.key)]
    assert _foreign_keys_touching(snap, ("s", "nope")) == []


def _plan_diff(url_a: str, url_b: str, out: Path, no_fork: bool) -> str:
    env = dict(os.environ)
    env.pop("SQLX_NO_FORK", None)
    if no_fork:
        env["SQLX_NO_FORK"] = "1"
    args = ["plan:diff", "--from", url_a, "--to", url_b, "-o", str(out)]
    done = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-800:]
    doc = json.loads(out.read_text())
    doc["source"].pop("created_at", None)
    return json.dumps(doc, sort_keys=True)


def live_pair(dbs, case: str = "31_fk_column_type") -> tuple[str, str]:
    """Two new PostgreSQL databases holding a corpus pair's A and B: (url of A, url of B)."""
    url_a, _ = dbs.new()
    url_b, _ = dbs.new()
    pair = CORPUS / "postgres" / case
    run_script(url_a, (pair / "a.sql").read_text())
    run_script(url_b, (pair / "b.sql").read_text())
    return url_a, url_b


def test_plan_diff_in_two_processes_equals_two_threads(databases, tmp_path):  # noqa: F811
    dbs = databases("postgres")
    url_a, url_b = live_pair(dbs)
    forked = _plan_diff(url_a, url_b, tmp_path / "forked.json", no_fork=False)
    threaded = _plan_diff(url_a, url_b, tmp_path / "threaded.json", no_fork=True)
    assert forked == threaded
    assert json.loads(forked)["operations"], "the pair differs: the plan has operations"


@pytest.mark.parametrize("family", ["postgres", "mysql"])
def test_a_target_side_without_probes_is_the_same_side(family, databases):  # noqa: F811
    from engine.planner.sources import load_source

    url, _ = databases(family).new()
    run_script(url, (CORPUS / "postgres" / "31_fk_column_type" / "a.sql").read_text())
    probed, quick = load_source(url), load_source(url, probe=False)
    assert quick.profile_hash == probed.profile_hash
    assert quick.snapshot == probed.snapshot
    assert quick.describe() == probed.describe()  # the server fingerprint included
    assert probed.capabilities and quick.capabilities == {}

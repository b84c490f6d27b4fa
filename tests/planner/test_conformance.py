"""Round-trip conformance of the differ on real servers (SQLite: files), per corpus pair.

For every tests/planner/corpus/<family>/<NN_name>/ (a.sql, b.sql, optionally after.sql):

    A := a fresh database where a.sql ran; learn it
    B := parse_ddl(b.sql) (+ rename hints read from b.sql)
    ops := diff(learned A, B); run them on A (tests/planner/runner.py)
    re-learn A: it must hash like a fresh database where b.sql ran (column order aside),
      and diff(re-learned A, B) must be empty (planning again is a no-op)
    after.sql: each non-comment line is a query that must return 1 (data kept by a rename...)
    if every op is reversible: run the rollbacks; A must hash like it did at the start

a.sql may hold INSERTs (data the plan must keep); b.sql is desired-state DDL only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import connect
from engine.flo import learn_database
from engine.ir import parse_ddl, profile_hash
from engine.planner.diff import diff
from engine.planner.hints import renames_from_sql
from engine.planner.model import PlanContext
from tests.flo.catalog_helpers import databases, run_script, snapshot_diff  # noqa: F401
from tests.planner.runner import run_ops, run_rollback

CORPUS = Path(__file__).resolve().parent / "corpus"
FAMILIES = ("postgres", "mysql", "sqlite")
CASES = [
    pytest.param(family, case.name, id=f"{family}-{case.name}")
    for family in FAMILIES
    for case in sorted((CORPUS / family).iterdir())
    if case.is_dir()
]


def _learn(url: str, name: str):
    with connect(url) as s:
        return learn_database(s, name).snapshot


def _same(x, y, what: str) -> None:
    if profile_hash(x, column_order=False) != profile_hash(y, column_order=False):
        lines = snapshot_diff(x, y)
        pytest.fail(f"{what}:\n" + "\n".join(lines or ["(column order only?)"]))


def test_corpus_is_big_enough():
    counts = {f: sum(1 for c in (CORPUS / f).iterdir() if c.is_dir()) for f in FAMILIES}
    assert counts["postgres"] >= 25 and counts["mysql"] >= 20 and counts["sqlite"] >= 15, counts


@pytest.mark.parametrize("family,case", CASES)
def test_diff_applies_and_rolls_back(family, case, databases):  # noqa: F811
    folder = CORPUS / family / case
    a_sql, b_sql = (folder / "a.sql").read_text(), (folder / "b.sql").read_text()
    dbs = databases(family)
    url_b, name_b = dbs.new()
    run_script(url_b, b_sql)
    want = _learn(url_b, name_b)
    url_a, name_a = dbs.new()
    run_script(url_a, a_sql)
    with connect(url_a) as s:
        start = learn_database(s, name_a).snapshot
        dialect = start.dialect
        desired = parse_ddl(b_sql, dialect)
        renames = renames_from_sql(b_sql, dialect)
        ops = diff(start, desired, PlanContext(dialect, start, desired, renames=renames))
        assert ops, "A and B differ but the plan is empty"
        assert [o.id for o in ops] == [f"op-{i:03d}" for i in range(1, len(ops) + 1)]
        run_ops(s, ops)
        done = learn_database(s, name_a).snapshot
        _same(done, want, f"{family}/{case}: A + plan != B")
        again = diff(done, desired, PlanContext(dialect, done, desired, renames=renames))
        assert again == (), f"planning again after the plan ran is not a no-op: {again}"
        checks = folder / "after.sql"
        if checks.exists():
            for line in checks.read_text().splitlines():
                if line.strip() and not line.lstrip().startswith("--"):
                    rows = s.query(line).rows
                    assert rows and str(rows[0][0]) in ("1", "True"), f"{line} -> {rows}"
        if all(o.rollback is not None for o in ops):
            run_rollback(s, ops)
            _same(learn_database(s, name_a).snapshot, start, f"{family}/{case}: rollback != A")
        else:
            assert any(o.irreversible for o in ops)


@pytest.mark.parametrize("family,case", CASES)
def test_plan_applies_and_rolls_back_through_apply(family, case, databases):  # noqa: F811
    """The same pairs through everything a user runs: make_plan from the live database
    (learned capabilities choose the online strategies) to B, apply_plan (journal,
    transactions, verification against B's hash), then rollback_plan back to A."""
    from engine.planner import make_plan
    from engine.planner.apply import apply_plan, rollback_plan
    from engine.planner.sources import Source, load_source

    folder = CORPUS / family / case
    a_sql, b_sql = (folder / "a.sql").read_text(), (folder / "b.sql").read_text()
    dbs = databases(family)
    url_b, name_b = dbs.new()
    run_script(url_b, b_sql)
    want = _learn(url_b, name_b)
    url_a, name_a = dbs.new()
    run_script(url_a, a_sql)
    source = load_source(url_a, database=name_a)
    target = Source("snapshot", "b", want, renames=renames_from_sql(b_sql, want.dialect))
    plan = make_plan(source, target)
    with connect(url_a) as s:
        report = apply_plan(s, plan, database=name_a, allow_destructive=True,
                            accept_hazards=frozenset(plan.hazards))  # fmt: skip
        assert report.status == "applied", f"{family}/{case}: {report.message}"
        _same(learn_database(s, name_a).snapshot, want, f"{family}/{case}: apply != B")
        if plan.reversible:
            back = rollback_plan(s, plan, database=name_a)
            assert back.status == "rolled_back", f"{family}/{case}: {back.message}"
            _same(learn_database(s, name_a).snapshot, source.snapshot, f"{family}/{case}: rollback")

"""Risk scoring: read from tables, deterministic, and never lower for more danger."""

from __future__ import annotations

import itertools

from engine.ir.model import Column, PrimaryKey, Snapshot, Table
from engine.planner import risk
from engine.planner.model import HAZARDS, RISK_LEVELS, Lock, ObjectRef, Operation, PlanContext, Step

ORDERS = Table(
    "public", "orders", (Column("id", "bigint", nullable=False),), PrimaryKey(None, ("id",))
)
SNAP = Snapshot("postgres", tables=(ORDERS,))
ROWS = (0, 10, 999, 1_000, 50_000, 99_999, 100_000, 999_999, 1_000_000, 10**9)


def ctx(rows: int | None = None) -> PlanContext:
    table_rows = {} if rows is None else {("public", "orders"): rows}
    return PlanContext("postgres", SNAP, SNAP, table_rows=table_rows)


NO_LOCK = Lock()
UNDO = (Step("SELECT 1"),)


def op(hazards=(), lock=NO_LOCK, rollback=UNDO, kind="alter_column_type"):
    target = ObjectRef("column", "public", "id", table="orders")
    return Operation("op-001", kind, target, (Step("SELECT 1"),), rollback, hazards=hazards,
                     lock=lock, irreversible=None if rollback else "gone")  # fmt: skip


def rank(r) -> tuple[int, int]:
    return (RISK_LEVELS.index(r.level), r.score)


def test_no_hazard_no_lock_is_low_zero():
    r = risk.assess(op(), ctx(10))
    assert (r.level, r.score) == ("low", 0)
    assert r.reasons == ("no hazard, no blocking lock",)


def test_every_hazard_has_points_and_a_meaning():
    assert set(risk.HAZARD_POINTS) == set(HAZARDS)
    assert all(p > 0 for p in risk.HAZARD_POINTS.values())
    assert set(risk.LEVEL_FLOORS) <= set(HAZARDS)
    assert set(risk.LEVEL_FLOORS.values()) <= set(RISK_LEVELS)


def test_adding_a_hazard_never_lowers_score_or_level():
    names = sorted(HAZARDS)
    for n in range(len(names) + 1):
        for subset in itertools.combinations(names, n):
            base = risk.assess(op(hazards=subset), ctx())
            for extra in set(names) - set(subset):
                more = risk.assess(op(hazards=(*subset, extra)), ctx())
                assert more.score >= base.score, (subset, extra)
                assert rank(more) >= rank(base), (subset, extra)


def test_each_hazard_alone_scores_its_points_and_says_why():
    for name, points in risk.HAZARD_POINTS.items():
        r = risk.assess(op(hazards=(name,)), ctx(10))  # a small table: no size points
        assert r.score == points, name
        assert r.reasons[0].startswith(f"{name} (+{points})")


def test_bigger_tables_never_score_lower():
    rewrite = op(hazards=("TABLE_REWRITE",), lock=Lock("ACCESS EXCLUSIVE", "table_size",
                 rewrites_table=True, blocks_reads=True, blocks_writes=True))  # fmt: skip
    scores = [risk.assess(rewrite, ctx(rows)).score for rows in ROWS]
    assert scores == sorted(scores)
    assert scores[-1] > scores[0]
    small, large = risk.assess(rewrite, ctx(10)), risk.assess(rewrite, ctx(1_000_000))
    assert rank(large) > rank(small)
    assert any("rows (very large)" in reason for reason in large.reasons)


def test_unknown_size_counts_between_small_and_large():
    build = op(hazards=("INDEX_BUILD",))
    small, unknown, large = (risk.assess(build, ctx(r)).score for r in (10, None, 100_000))
    assert small < unknown < large


def test_size_only_counts_when_work_grows_with_the_table():
    rename = op(hazards=("BACKWARD_INCOMPATIBLE",), kind="rename_column")
    assert risk.assess(rename, ctx(10)).score == risk.assess(rename, ctx(10**9)).score


def test_longer_and_stronger_locks_score_higher():
    locks = [
        Lock("none"),
        Lock("SHARE UPDATE EXCLUSIVE", "table_size"),  # blocks nothing we count
        Lock("ACCESS EXCLUSIVE", "instant", blocks_writes=True, blocks_reads=True),
        Lock("SHARE", "brief", blocks_writes=True),
        Lock("ACCESS EXCLUSIVE", "brief", blocks_writes=True, blocks_reads=True),
        Lock("SHARE", "table_size", blocks_writes=True),
        Lock("ACCESS EXCLUSIVE", "table_size", blocks_writes=True, blocks_reads=True),
    ]
    scores = [risk.assess(op(lock=lock), ctx(10)).score for lock in locks]
    assert scores == sorted(scores)
    assert scores[0] == 0 and scores[-1] > scores[3]


def test_missing_rollback_and_rewrite_flag_count_as_hazards_once():
    implied = risk.assess(op(rollback=None, lock=Lock(rewrites_table=True)), ctx(10))
    declared = risk.assess(
        op(
            hazards=("IRREVERSIBLE", "TABLE_REWRITE"), rollback=None, lock=Lock(rewrites_table=True)
        ),
        ctx(10),
    )
    assert implied == declared
    assert implied.score == risk.HAZARD_POINTS["IRREVERSIBLE"] + risk.HAZARD_POINTS["TABLE_REWRITE"]


def test_losing_data_is_never_below_high():
    r = risk.assess(op(hazards=("DATA_LOSS",)), ctx(0))
    assert r.score < 50 and r.level == "high"
    assert "level raised to high by DATA_LOSS" in r.reasons


def test_score_is_capped_and_deterministic():
    everything = op(hazards=tuple(HAZARDS), rollback=None, lock=Lock("X", "table_size",
                    rewrites_table=True, blocks_reads=True, blocks_writes=True))  # fmt: skip
    first = risk.assess(everything, ctx(10**9))
    assert first == risk.assess(everything, ctx(10**9))
    assert (first.level, first.score) == ("critical", 100)
    assert risk.level_for(0) == "low" and risk.level_for(100) == "critical"


def test_negative_row_estimate_counts_as_unknown():
    build = op(hazards=("INDEX_BUILD",))
    assert risk.assess(build, ctx(-1)) == risk.assess(build, ctx(None))

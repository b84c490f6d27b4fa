"""Risk of one operation: a level, a score from 0 to 100 and the reasons that add up to it.

The score is a sum of points read from the tables below, never a judgement coded in
branches, so a DBA can read docs/lint.md and predict every number the plan shows:

- each hazard the operation carries adds its HAZARD_POINTS (an operation without rollback
  counts as IRREVERSIBLE, one whose lock says it rewrites the table as TABLE_REWRITE, each
  hazard once);
- a lock that blocks writes or reads adds LOCK_POINTS for how long it is held, plus
  BLOCKS_READS_POINTS when readers wait too;
- when the work (or the loss) grows with the table -- a hazard in SIZE_SCALED or a lock
  held for "table_size" -- the table's size adds SIZE_TIERS points (an unknown size, i.e.
  planning offline, counts as UNKNOWN_SIZE_POINTS: between small and large, on purpose);
- the sum is capped at 100; LEVEL_THRESHOLDS turn it into a level, and LEVEL_FLOORS raise the
  level for hazards that are serious at any size (losing data is never "low").

Adding a hazard, a longer or stronger lock, or rows never lowers the score or the level:
tests/planner/test_risk.py holds the scoring to that.
"""

from __future__ import annotations

from engine.planner.model import HAZARDS, RISK_LEVELS, Operation, PlanContext, Risk

#: points per hazard (model.HAZARDS names); an unknown name counts as UNKNOWN_HAZARD_POINTS
HAZARD_POINTS = {
    "DATA_LOSS": 35,
    "TABLE_REWRITE": 20,
    "BACKWARD_INCOMPATIBLE": 15,
    "LONG_LOCK": 15,
    "DATA_DEPENDENT": 15,
    "LOSSY_CONVERSION": 15,
    "IRREVERSIBLE": 10,
    "INDEX_BUILD": 5,
    "COLUMN_ORDER": 5,
}
UNKNOWN_HAZARD_POINTS = 15

#: points for a lock that blocks writes or reads, by Lock.duration
LOCK_POINTS = {"instant": 0, "brief": 5, "table_size": 20}
#: added when the lock also blocks readers (and is held for more than an instant)
BLOCKS_READS_POINTS = 5

#: hazards whose cost grows with the number of rows of the table the operation touches
SIZE_SCALED = frozenset(
    {"DATA_LOSS", "TABLE_REWRITE", "INDEX_BUILD", "DATA_DEPENDENT", "LONG_LOCK"}
)
#: (rows at least this many times context.large_table_rows, points, label), largest first
SIZE_TIERS = (
    (10.0, 25, "very large"),
    (1.0, 15, "large"),
    (0.01, 5, "medium"),
    (0.0, 0, "small"),
)
UNKNOWN_SIZE_POINTS = 10

#: (minimum score, level), highest first
LEVEL_THRESHOLDS = ((75, "critical"), (50, "high"), (25, "medium"), (0, "low"))
#: the lowest level an operation carrying the hazard can have
LEVEL_FLOORS = {"DATA_LOSS": "high", "BACKWARD_INCOMPATIBLE": "medium"}

#: ObjectRef kinds that are themselves a table (for other kinds, `target.table` is it)
TABLE_KINDS = frozenset({"table"})


def table_of(op: Operation) -> tuple[str, str] | None:
    """(schema, table) the operation works on, or None for objects outside any table."""
    if op.target.table:
        return (op.target.schema, op.target.table)
    if op.target.kind in TABLE_KINDS:
        return (op.target.schema, op.target.name)
    return None


def effective_hazards(op: Operation) -> tuple[str, ...]:
    """The op's hazards plus those its other fields imply, each once, in declared order."""
    implied = []
    if op.rollback is None:
        implied.append("IRREVERSIBLE")
    if op.lock.rewrites_table:
        implied.append("TABLE_REWRITE")
    return tuple(dict.fromkeys((*op.hazards, *implied)))


def _hazard_part(hazards: tuple[str, ...]) -> tuple[int, list[str]]:
    score, reasons = 0, []
    for name in sorted(hazards, key=lambda h: (-HAZARD_POINTS.get(h, UNKNOWN_HAZARD_POINTS), h)):
        points = HAZARD_POINTS.get(name, UNKNOWN_HAZARD_POINTS)
        meaning = HAZARDS.get(name, "unknown hazard")
        score += points
        reasons.append(f"{name} (+{points}): {meaning}")
    return score, reasons


def _lock_part(op: Operation) -> tuple[int, list[str]]:
    lock = op.lock
    if not (lock.blocks_writes or lock.blocks_reads):
        return 0, []
    points = LOCK_POINTS.get(lock.duration, LOCK_POINTS["table_size"])
    blocked = "writes and reads" if lock.blocks_reads else "writes"
    if lock.blocks_reads and points:
        points += BLOCKS_READS_POINTS
    if not points:
        return 0, []
    return points, [f"lock {lock.level} held {lock.duration}, blocks {blocked} (+{points})"]


def _size_part(op: Operation, hazards: tuple[str, ...], ctx: PlanContext) -> tuple[int, list[str]]:
    where = table_of(op)
    if where is None:
        return 0, []
    if not (SIZE_SCALED & set(hazards) or op.lock.duration == "table_size"):
        return 0, []
    name = ".".join(p for p in where if p)
    rows = ctx.rows(*where)
    if rows is None or rows < 0:  # PostgreSQL says -1 for a table never analysed
        pts = UNKNOWN_SIZE_POINTS
        return pts, [f"table {name}: size unknown (no statistics), assumed sizeable (+{pts})"]
    points, label = next((p, lb) for f, p, lb in SIZE_TIERS if rows >= f * ctx.large_table_rows)
    return points, [f"table {name}: ~{rows:,} rows ({label}) (+{points})"]


def level_for(score: int) -> str:
    return next(level for floor, level in LEVEL_THRESHOLDS if score >= floor)


def assess(op: Operation, context: PlanContext) -> Risk:
    """The operation's Risk from the tables above; deterministic for equal inputs."""
    hazards = effective_hazards(op)
    score, reasons = 0, []
    for points, why in (_hazard_part(hazards), _lock_part(op), _size_part(op, hazards, context)):
        score += points
        reasons += why
    score = min(score, 100)
    level = level_for(score)
    for name in hazards:
        floor = LEVEL_FLOORS.get(name)
        if floor and RISK_LEVELS.index(floor) > RISK_LEVELS.index(level):
            level = floor
            reasons.append(f"level raised to {floor} by {name}")
    if not reasons:
        reasons.append("no hazard, no blocking lock")
    return Risk(level=level, score=score, reasons=tuple(reasons))

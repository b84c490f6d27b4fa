"""THE online test (issue #5): a writer keeps inserting and updating a ROWS-row table on
its own connection while the planner's online strategies add an index, add a NOT NULL
column with a default and change a column's type. Zero failed writes, no lost rows:
counts and checksums of the untouched data before/after, and every row the writer wrote
during the changes is there with the last value it wrote.

The steps run through a tiny loop over `steps.executor_for(step.kind)` (the lead swaps in
the real apply later). The same workload drives benchmarks/online_ddl.py, which reports
the writer's latency; this test asserts no timing.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from engine import connect
from engine.flo import learn_database, learn_server
from engine.ir import parse_ddl
from engine.planner.model import ObjectRef, Operation, PlanContext, Step
from engine.planner.online import capabilities_of, choose
from engine.planner.steps import StepContext, executor_for

ROWS = 1_000_000

# per family: table, fast fill, the plain ops diff would emit (plan.json shapes), desired DDL
WORKLOADS = {
    "postgres": {
        "schema": "public",
        "create": "CREATE TABLE t (id bigint PRIMARY KEY, grp integer NOT NULL, "
        "qty integer NOT NULL, note varchar(40))",
        "fill": "INSERT INTO t SELECT g, g % 1000, g % 100, 'n' || g "
        "FROM generate_series(1, {rows}) g",
        "desired": "CREATE TABLE t (id bigint PRIMARY KEY, grp integer NOT NULL, "
        "qty bigint NOT NULL, note varchar(40), flag boolean NOT NULL DEFAULT false); "
        "CREATE INDEX t_grp_idx ON t (grp)",
        "ops": [
            (
                "create_index",
                ("index", "t_grp_idx"),
                "CREATE INDEX t_grp_idx ON public.t (grp)",
                "DROP INDEX public.t_grp_idx",
            ),
            (
                "add_column",
                ("column", "flag"),
                "ALTER TABLE public.t ADD COLUMN flag boolean NOT NULL DEFAULT false",
                "ALTER TABLE public.t DROP COLUMN flag",
            ),
            (
                "alter_column_type",
                ("column", "qty"),
                "ALTER TABLE public.t ALTER COLUMN qty TYPE bigint USING qty::bigint",
                "ALTER TABLE public.t ALTER COLUMN qty TYPE integer USING qty::integer",
            ),
        ],
        "flag_default": False,
    },
    "mysql": {
        "schema": "",
        "create": "CREATE TABLE t (id bigint PRIMARY KEY, grp int NOT NULL, "
        "qty int NOT NULL, note varchar(40))",
        "fill": "INSERT INTO t SELECT seq, seq % 1000, seq % 100, CONCAT('n', seq) "
        "FROM seq_1_to_{rows}",
        "desired": "CREATE TABLE t (id bigint PRIMARY KEY, grp int NOT NULL, "
        "qty bigint NOT NULL, note varchar(40), flag tinyint NOT NULL DEFAULT 0, "
        "KEY t_grp_idx (grp))",
        "ops": [
            (
                "create_index",
                ("index", "t_grp_idx"),
                "CREATE INDEX `t_grp_idx` ON `t` (`grp`)",
                "DROP INDEX `t_grp_idx` ON `t`",
            ),
            (
                "add_column",
                ("column", "flag"),
                "ALTER TABLE `t` ADD COLUMN `flag` tinyint NOT NULL DEFAULT 0",
                "ALTER TABLE `t` DROP COLUMN `flag`",
            ),
            (
                "alter_column_type",
                ("column", "qty"),
                "ALTER TABLE `t` MODIFY COLUMN `qty` bigint NOT NULL",
                "ALTER TABLE `t` MODIFY COLUMN `qty` int NOT NULL",
            ),
        ],
        "flag_default": 0,
    },
}
CHECKSUM = "SELECT count(*), sum(id), sum(grp) FROM t WHERE id <= {rows}"


def prepare(session, family: str, rows: int = ROWS) -> None:
    w = WORKLOADS[family]
    session.execute(w["create"])
    session.execute(w["fill"].format(rows=rows))


def plain_ops(family: str) -> tuple[Operation, ...]:
    w = WORKLOADS[family]
    return tuple(
        Operation(
            f"op-{i:03d}",
            kind,
            ObjectRef(ref[0], w["schema"], ref[1], "t"),
            (Step(sql),),
            (Step(back),),
        )
        for i, (kind, ref, sql, back) in enumerate(w["ops"], 1)
    )


def online_ops(session, database: str, family: str, rows: int = ROWS) -> tuple[Operation, ...]:
    """The plain ops rewritten by online.choose from what the live server was learned to be."""
    caps = capabilities_of(learn_server(session))
    learned = learn_database(session, database).snapshot
    ctx = PlanContext(
        dialect=learned.dialect,
        from_snapshot=learned,
        to_snapshot=parse_ddl(WORKLOADS[family]["desired"], learned.dialect),
        capabilities=caps,
        table_rows={(WORKLOADS[family]["schema"], "t"): rows},
    )
    return choose(plain_ops(family), ctx)


def run_steps(session, op: Operation, steps=None) -> None:
    for i, step in enumerate(op.steps if steps is None else steps):
        executor_for(step.kind)(session, step, StepContext(operation=op, step_index=i))


@dataclass
class Writer:
    """Inserts new rows and updates random existing ones, one autocommit statement each,
    on its own connection; remembers the last value it wrote per row and every latency."""

    url: str
    rows: int
    stop: threading.Event = field(default_factory=threading.Event)
    written: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (start, seconds)
    thread: threading.Thread | None = None

    def start(self) -> Writer:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        while not self.latencies and not self.errors and self.thread.is_alive():
            time.sleep(0.01)
        return self

    def _run(self) -> None:
        rng = random.Random(5)
        next_id, n = self.rows + 1, 0
        with connect(self.url) as s:
            while not self.stop.is_set():
                n += 1
                if n % 2:
                    row, sql = (
                        next_id,
                        "INSERT INTO t (id, grp, qty, note) VALUES ({}, {}, {}, 'w')",
                    )
                    sql = sql.format(next_id, next_id % 1000, n)
                    next_id += 1
                else:
                    row = rng.randint(1, self.rows)
                    sql = f"UPDATE t SET qty = {n}, note = 'u' WHERE id = {row}"
                t0 = time.perf_counter()
                try:
                    s.execute(sql)
                except Exception as exc:
                    self.errors.append(f"{sql}: {exc}")
                    continue
                self.latencies.append((t0, time.perf_counter() - t0))
                self.written[row] = n

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def verify(session, writer: Writer, before, family: str, rows: int) -> None:
    assert writer.errors == [], writer.errors[:5]
    assert session.query(CHECKSUM.format(rows=rows)).rows == before  # untouched data intact
    inserted = [k for k in writer.written if k > rows]
    total = session.query("SELECT count(*) FROM t").scalar()
    assert total == rows + len(inserted)
    got = dict(session.query("SELECT id, qty FROM t WHERE note IN ('w', 'u')").rows)
    assert got == writer.written  # every row written during the changes, last value kept
    flag = WORKLOADS[family]["flag_default"]
    assert session.query(f"SELECT count(*) FROM t WHERE flag = {flag!r}").scalar() == total


def online_change(url: str, family: str, rows: int = ROWS) -> None:
    database = url.rsplit("/", 1)[1]
    with connect(url) as s:
        prepare(s, family, rows)
        ops = online_ops(s, database, family, rows)
        before = s.query(CHECKSUM.format(rows=rows)).rows
        writer = Writer(url, rows).start()
        try:
            for op in ops:
                run_steps(s, op)
        finally:
            writer.finish()
        assert len(writer.latencies) > len(ops)  # the writer really ran through the changes
        verify(s, writer, before, family, rows)
        table = learn_database(s, database).snapshot.table(WORKLOADS[family]["schema"], "t")
        assert table.column("qty").type == "bigint"
        assert [i.name for i in table.indexes] == ["t_grp_idx"]
        assert table.column("flag") is not None and not table.column("flag").nullable
    return ops


def test_online_changes_under_writes_postgres(fresh_pg_database):
    ops = online_change(fresh_pg_database, "postgres")
    assert [o.strategy for o in ops] == ["concurrent", "instant", "shadow_column"]


def test_online_changes_under_writes_mariadb(fresh_mariadb_database):
    ops = online_change(fresh_mariadb_database, "mysql")
    assert [o.strategy for o in ops] == ["inplace", "instant", "shadow_copy"]

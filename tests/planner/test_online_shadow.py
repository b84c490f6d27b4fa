"""The shadow copy's `copy_chunks` executor on MariaDB: resumes from saved state, honours
pause and throttle settings through its context, and reports progress."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine import connect
from engine.planner.model import ObjectRef
from engine.planner.online import choose
from engine.planner.steps import StepContext, executor_for
from tests.planner.test_online_choose import context, plain

ROWS = 95
CHUNK = 10


class Killed(Exception):
    """Stands for the apply process dying after a chunk."""


@pytest.fixture
def shadow(fresh_mariadb_database):
    with connect(fresh_mariadb_database) as s:
        s.execute("CREATE TABLE t (id int PRIMARY KEY, k varchar(20), qty int NOT NULL)")
        s.execute(f"INSERT INTO t SELECT seq, CONCAT('k', seq), seq FROM seq_1_to_{ROWS}")
        ctx = context(
            s,
            fresh_mariadb_database.rsplit("/", 1)[1],
            "CREATE TABLE t (id int PRIMARY KEY, k varchar(20), qty bigint NOT NULL)",
        )
        op = plain(
            "op-001",
            "alter_column_type",
            ObjectRef("column", "", "qty", "t"),
            ["ALTER TABLE `t` MODIFY COLUMN `qty` bigint NOT NULL"],
            ["ALTER TABLE `t` MODIFY COLUMN `qty` int NOT NULL"],
        )
        (out,) = choose((op,), ctx)
        at = [st.kind for st in out.steps].index("copy_chunks")
        for i, step in enumerate(out.steps[:at]):  # prepare, create, alter, triggers
            executor_for(step.kind)(s, step, StepContext(operation=out, step_index=i))
        step = out.steps[at]
        params = dict(step.params) | {"chunk_rows": CHUNK}
        yield s, out, replace(step, params=tuple(sorted(params.items()))), at


def test_copy_chunks_resumes_after_the_last_saved_key(shadow):
    s, op, step, at = shadow
    saved: list[dict] = []

    def die_after_three(state):
        saved.append(state)
        if len(saved) == 3:
            raise Killed

    copy = executor_for("copy_chunks")
    with pytest.raises(Killed):
        copy(s, step, StepContext(operation=op, step_index=at, save_state=die_after_three))
    assert saved[-1]["last"] == [3 * CHUNK]
    assert s.query("SELECT count(*) FROM _sqlx_new_t").scalar() == 3 * CHUNK
    # prove the resumed run starts after the saved key: rows before it are not copied again
    s.execute("DELETE FROM _sqlx_new_t WHERE id <= 5")
    progress: list[tuple] = []
    copy(
        s,
        step,
        StepContext(
            operation=op,
            step_index=at,
            state=saved[-1],
            save_state=saved.append,
            progress=lambda d, t, m: progress.append((d, t, m)),
        ),
    )
    assert saved[-1]["done"] is True
    ids = [r[0] for r in s.query("SELECT id FROM _sqlx_new_t ORDER BY id").rows]
    assert ids == list(range(6, ROWS + 1))
    assert progress and progress[-1][2] == "copy finished"
    # a third run with the finished state does nothing (the step is complete)
    copy(s, step, StepContext(operation=op, step_index=at, state=saved[-1]))
    assert s.query("SELECT count(*) FROM _sqlx_new_t").scalar() == ROWS - 5


def test_copy_chunks_keeps_rows_the_triggers_wrote(shadow):
    s, op, step, at = shadow
    # a write after the triggers exist lands in the new table at once; the copy must not
    # overwrite it with the older value it reads from the source later
    s.execute("UPDATE t SET qty = 1000000 WHERE id = 50")
    s.execute("INSERT INTO t VALUES (500, 'late', 7)")
    assert s.query("SELECT qty FROM _sqlx_new_t WHERE id = 50").scalar() == 1000000
    paused = iter([True, True, False] + [False] * 100)
    executor_for("copy_chunks")(
        s, step, StepContext(operation=op, step_index=at, paused=lambda: next(paused))
    )
    cmp = "SELECT count(*), sum(id), sum(qty), max(k) FROM {}"
    assert s.query(cmp.format("_sqlx_new_t")).rows == s.query(cmp.format("t")).rows
    s.execute("DELETE FROM t WHERE id = 7")
    assert s.query("SELECT count(*) FROM _sqlx_new_t WHERE id = 7").scalar() == 0


def test_a_shadow_copy_after_a_rename_and_an_add_keeps_their_values(
    fresh_mariadb_database, tmp_path
):
    """A plan that renames a column and adds one before the shadow copy of the same table
    must copy them under their new names (the copy's column list once came from the
    current schema alone, and the renamed column's values were lost)."""
    from engine.planner import load_source, make_plan
    from engine.planner.apply import apply_plan

    url = fresh_mariadb_database
    with connect(url) as s:
        s.execute("CREATE TABLE t (id int PRIMARY KEY, a int, qty int NOT NULL, old int)")
        s.execute(f"INSERT INTO t SELECT seq, seq * 2, seq, 1 FROM seq_1_to_{ROWS}")
    desired = tmp_path / "b.sql"
    desired.write_text(
        "CREATE TABLE t (id int PRIMARY KEY,\n"
        "  b int, -- sqlx:rename-from a\n"
        "  extra int DEFAULT 3, qty bigint NOT NULL);\n"
    )
    plan = make_plan(load_source(url), load_source(str(desired), dialect="mysql"))
    by_kind = {o.kind: o for o in plan.operations}
    assert by_kind["alter_column_type"].strategy == "shadow_copy"
    assert [o.kind for o in plan.operations].index("rename_column") < [
        o.kind for o in plan.operations
    ].index("alter_column_type")
    accept = {h for o in plan.operations for h in o.hazards}
    with connect(url) as s:
        report = apply_plan(s, plan, accept_hazards=accept, allow_destructive=True)
        assert report.status == "applied", report.message
        assert report.verified is True
        rows = s.query("SELECT count(*), sum(b = id * 2), sum(extra = 3), sum(qty = id) FROM t")
        assert [int(v) for v in rows.rows[0]] == [ROWS] * 4

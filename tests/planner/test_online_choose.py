"""Online strategies chosen from LEARNED capabilities, then run on the real server.

Each test learns a live server (FLO), builds the plain operation diff would emit (SQL in
the shape of transports/flo/<family>/plan.json), lets `online.choose` rewrite it, asserts
the strategy and SQL it picked, and runs the steps through their executors (a tiny loop:
the lead swaps in the real apply later) to prove the server accepts them.
"""

from __future__ import annotations

import pytest

from engine import connect
from engine.errors import EngineError, ServerError
from engine.flo import learn_database, learn_server
from engine.ir import parse_ddl
from engine.planner.model import ObjectRef, Operation, PlanContext, Step
from engine.planner.online import capabilities_of, choose
from engine.planner.steps import StepContext, executor_for


def plain(op_id, kind, target, sql, rollback=None, hazards=()):
    back = tuple(Step(s) for s in rollback) if rollback is not None else None
    return Operation(
        op_id,
        kind,
        target,
        tuple(Step(s) for s in sql),
        back,
        irreversible=None if back is not None else "test",
        hazards=hazards,
    )


def run(session, op, steps=None):
    for i, step in enumerate(op.steps if steps is None else steps):
        executor_for(step.kind)(session, step, StepContext(operation=op, step_index=i))


def context(session, database, desired_sql, *, caps=True, rows=None):
    server = learn_server(session)
    learned = learn_database(session, database).snapshot
    desired = parse_ddl(desired_sql, learned.dialect)
    return PlanContext(
        dialect=learned.dialect,
        from_snapshot=learned,
        to_snapshot=desired,
        capabilities=capabilities_of(server) if caps else {},
        table_rows=rows or {},
    )


# ------------------------------------------------------------------------- PostgreSQL
PG_A = "CREATE TABLE t (id bigint PRIMARY KEY, grp integer, qty integer, note varchar(10))"
PG_B = (
    "CREATE TABLE t (id bigint PRIMARY KEY, grp integer NOT NULL, qty integer, "
    "note varchar(40), flag boolean NOT NULL DEFAULT false, "
    "CONSTRAINT t_qty_ck CHECK (qty >= 0), CONSTRAINT t_grp_uq UNIQUE (grp)); "
    "CREATE INDEX t_qty_idx ON t (qty)"
)


@pytest.fixture
def pg(fresh_pg_database):
    with connect(fresh_pg_database) as s:
        s.execute(PG_A)
        s.execute("INSERT INTO t SELECT g, g, g % 7, 'n' FROM generate_series(1, 500) g")
        yield s, fresh_pg_database.rsplit("/", 1)[1]


def test_pg_strategies_follow_learned_capabilities(pg):
    s, db = pg
    ctx = context(s, db, PG_B)
    assert ctx.capabilities["concurrent_index_build"]
    ops = (
        plain(
            "op-001",
            "create_index",
            ObjectRef("index", "public", "t_qty_idx", "t"),
            ["CREATE INDEX t_qty_idx ON public.t (qty)"],
            ["DROP INDEX public.t_qty_idx"],
            hazards=("INDEX_BUILD", "LONG_LOCK"),
        ),
        plain(
            "op-002",
            "add_column",
            ObjectRef("column", "public", "flag", "t"),
            ["ALTER TABLE public.t ADD COLUMN flag boolean NOT NULL DEFAULT false"],
            ["ALTER TABLE public.t DROP COLUMN flag"],
            hazards=("TABLE_REWRITE",),
        ),
        plain(
            "op-003",
            "set_not_null",
            ObjectRef("column", "public", "grp", "t"),
            ["ALTER TABLE public.t ALTER COLUMN grp SET NOT NULL"],
            ["ALTER TABLE public.t ALTER COLUMN grp DROP NOT NULL"],
        ),
        plain(
            "op-004",
            "add_check",
            ObjectRef("check", "public", "t_qty_ck", "t"),
            ["ALTER TABLE public.t ADD CONSTRAINT t_qty_ck CHECK (qty >= 0)"],
            ["ALTER TABLE public.t DROP CONSTRAINT t_qty_ck"],
        ),
        plain(
            "op-005",
            "add_unique",
            ObjectRef("unique", "public", "t_grp_uq", "t"),
            ["ALTER TABLE public.t ADD CONSTRAINT t_grp_uq UNIQUE (grp)"],
            ["ALTER TABLE public.t DROP CONSTRAINT t_grp_uq"],
        ),
        plain(
            "op-006",
            "alter_column_type",
            ObjectRef("column", "public", "note", "t"),
            ["ALTER TABLE public.t ALTER COLUMN note TYPE varchar(40) USING note::varchar(40)"],
            ["ALTER TABLE public.t ALTER COLUMN note TYPE varchar(10) USING note::varchar(10)"],
        ),
    )
    out = choose(ops, ctx)
    assert [o.id for o in out] == [o.id for o in ops]
    by = {o.id: o for o in out}

    index = by["op-001"]
    assert index.strategy == "concurrent"
    assert "CONCURRENTLY" in index.steps[0].sql and not index.steps[0].transactional
    assert "LONG_LOCK" not in index.hazards and "INDEX_BUILD" in index.hazards
    assert index.rollback[0].sql.startswith("DROP INDEX CONCURRENTLY")
    assert index.lock.blocks_writes is False and index.lock_timeout_ms

    assert by["op-002"].strategy == "instant" and not by["op-002"].lock.rewrites_table
    nn = by["op-003"]
    assert nn.strategy == "not_valid_validate"
    assert nn.steps[0].sql.endswith("NOT VALID")
    assert "VALIDATE CONSTRAINT" in nn.steps[1].sql and "SET NOT NULL" in nn.steps[2].sql
    ck = by["op-004"]
    assert ck.strategy == "not_valid_validate" and ck.steps[0].sql.endswith("NOT VALID")
    assert "VALIDATE CONSTRAINT" in ck.steps[1].sql
    uq = by["op-005"]
    assert uq.steps[0].sql.startswith("CREATE UNIQUE INDEX CONCURRENTLY")
    assert "USING INDEX" in uq.steps[1].sql
    assert by["op-006"].strategy == "instant"  # varchar widening: catalog only

    before = s.query("SELECT pg_relation_filenode('t')").scalar()
    for op in out:
        run(s, op)
    # the widening kept the same file: no rewrite happened (what "instant" promised)
    assert s.query("SELECT pg_relation_filenode('t')").scalar() == before
    after = learn_database(s, db).snapshot
    t = after.table("public", "t")
    assert not t.column("grp").nullable and t.column("note").type == "varchar(40)"
    assert {c.name for c in t.checks} == {"t_qty_ck"}  # the _sqlx_nn_ helper is gone
    assert all(c.validated for c in t.checks)
    assert {i.name for i in t.indexes} >= {"t_qty_idx"}
    assert [u.name for u in t.uniques] == ["t_grp_uq"]
    valid = s.query("SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid = 't'::regclass")
    assert valid.scalar() is True
    for op in reversed(out):  # rollbacks run too (DROP INDEX CONCURRENTLY outside a tx)
        run(s, op, op.rollback)
    t = learn_database(s, db).snapshot.table("public", "t")
    assert t.column("flag") is None and t.column("grp").nullable and not t.indexes


def test_pg_offline_stays_plain_and_says_so(pg):
    s, db = pg
    ctx = context(s, db, PG_B, caps=False)
    op = plain(
        "op-001",
        "create_index",
        ObjectRef("index", "public", "t_qty_idx", "t"),
        ["CREATE INDEX t_qty_idx ON public.t (qty)"],
        ["DROP INDEX public.t_qty_idx"],
    )
    (out,) = choose((op,), ctx)
    assert out.strategy == "plain" and out.steps == op.steps
    assert any("offline" in n for n in out.notes)


def test_pg_failed_concurrent_unique_build_leaves_no_invalid_index(pg):
    s, db = pg
    s.execute("UPDATE t SET grp = 1 WHERE id <= 2")  # duplicates: the unique build must fail
    ctx = context(
        s,
        db,
        "CREATE TABLE t (id bigint PRIMARY KEY, grp integer, qty integer, "
        "note varchar(10)); CREATE UNIQUE INDEX t_grp_key ON t (grp)",
    )
    op = plain(
        "op-001",
        "create_index",
        ObjectRef("index", "public", "t_grp_key", "t"),
        ["CREATE UNIQUE INDEX t_grp_key ON public.t (grp)"],
        ["DROP INDEX public.t_grp_key"],
    )
    (out,) = choose((op,), ctx)
    assert out.steps[0].kind == "sql_with_cleanup"
    # an INVALID leftover from an earlier killed attempt is dropped before the build, too
    with pytest.raises(ServerError) as first:
        run(s, out)
    assert first.value.sqlstate == "23505"
    left = "SELECT count(*) FROM pg_class WHERE relname = 't_grp_key'"
    assert s.query(left).scalar() == 0
    # without the cleanup the same statement does leave the INVALID index behind
    with pytest.raises(EngineError):
        s.execute(out.steps[0].sql)
    assert s.query(left).scalar() == 1
    s.execute("UPDATE t SET grp = id WHERE id <= 2")
    run(s, out)  # cleanup_first drops the debris, then the build succeeds
    assert (
        s.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_grp_key'::regclass").scalar()
        is True
    )


def test_pg_failed_validate_drops_the_helper_check(pg):
    s, db = pg
    s.execute("UPDATE t SET grp = NULL WHERE id = 3")
    ctx = context(s, db, PG_B)
    op = plain(
        "op-001",
        "set_not_null",
        ObjectRef("column", "public", "grp", "t"),
        ["ALTER TABLE public.t ALTER COLUMN grp SET NOT NULL"],
        ["ALTER TABLE public.t ALTER COLUMN grp DROP NOT NULL"],
    )
    (out,) = choose((op,), ctx)
    with pytest.raises(ServerError):
        run(s, out)
    checks = learn_database(s, db).snapshot.table("public", "t").checks
    assert checks == ()


# --------------------------------------------------------------------------- MariaDB
MY_A = (
    "CREATE TABLE t (id bigint PRIMARY KEY, grp int, qty int NOT NULL, note varchar(10), "
    "KEY t_note_idx (note))"
)
MY_B = (
    "CREATE TABLE t (id bigint PRIMARY KEY, grp int NOT NULL, qty bigint NOT NULL, "
    "note varchar(40), flag tinyint NOT NULL DEFAULT 0, KEY t_grp_idx (grp))"
)


@pytest.fixture
def maria(fresh_mariadb_database):
    with connect(fresh_mariadb_database) as s:
        s.execute(MY_A)
        s.execute("INSERT INTO t SELECT seq, seq % 10, seq, 'n' FROM seq_1_to_500")
        yield s, fresh_mariadb_database.rsplit("/", 1)[1]


def test_mariadb_algorithms_follow_learned_capabilities(maria):
    s, db = maria
    ctx = context(s, db, MY_B)
    assert ctx.capabilities["instant_add_column"]
    ops = (
        plain(
            "op-001",
            "create_index",
            ObjectRef("index", "", "t_grp_idx", "t"),
            ["CREATE INDEX `t_grp_idx` ON `t` (`grp`)"],
            ["DROP INDEX `t_grp_idx` ON `t`"],
        ),
        plain(
            "op-002",
            "add_column",
            ObjectRef("column", "", "flag", "t"),
            ["ALTER TABLE `t` ADD COLUMN `flag` tinyint NOT NULL DEFAULT 0"],
            ["ALTER TABLE `t` DROP COLUMN `flag`"],
        ),
        plain(
            "op-003",
            "alter_column",
            ObjectRef("column", "", "grp", "t"),
            ["ALTER TABLE `t` MODIFY COLUMN `grp` int NOT NULL"],
            ["ALTER TABLE `t` MODIFY COLUMN `grp` int"],
        ),
        plain(
            "op-004",
            "alter_column_type",
            ObjectRef("column", "", "note", "t"),
            ["ALTER TABLE `t` MODIFY COLUMN `note` varchar(40)"],
            ["ALTER TABLE `t` MODIFY COLUMN `note` varchar(10)"],
        ),
        plain(
            "op-005",
            "drop_index",
            ObjectRef("index", "", "t_note_idx", "t"),
            ["DROP INDEX `t_note_idx` ON `t`"],
            None,
        ),
    )
    by = {o.id: o for o in choose(ops, ctx)}
    assert by["op-001"].strategy == "inplace"
    assert by["op-001"].steps[0].sql.endswith("ALGORITHM=INPLACE LOCK=NONE")
    assert by["op-002"].strategy == "instant"
    assert by["op-002"].steps[0].sql.endswith(", ALGORITHM=INSTANT, LOCK=NONE")
    assert by["op-003"].strategy == "inplace"  # nullability: an online rebuild, not INSTANT
    assert by["op-003"].steps[0].sql.endswith(", ALGORITHM=INPLACE, LOCK=NONE")
    assert by["op-004"].strategy == "instant"  # longer varchar
    assert by["op-005"].strategy == "inplace" and by["op-005"].steps == ops[4].steps
    for op in by.values():
        run(s, op)  # the server accepts every clause (it refuses rather than copy)
    t = learn_database(s, db).snapshot.table("", "t")
    assert t.column("flag") is not None and not t.column("grp").nullable
    assert [i.name for i in t.indexes] == ["t_grp_idx"]


def test_mariadb_type_change_becomes_a_shadow_copy(maria):
    s, db = maria
    ctx = context(s, db, MY_B)
    op = plain(
        "op-001",
        "alter_column_type",
        ObjectRef("column", "", "qty", "t"),
        ["ALTER TABLE `t` MODIFY COLUMN `qty` bigint NOT NULL"],
        ["ALTER TABLE `t` MODIFY COLUMN `qty` int NOT NULL"],
        hazards=("DATA_DEPENDENT", "LONG_LOCK"),
    )
    (out,) = choose((op,), ctx)
    assert out.strategy == "shadow_copy"
    kinds = [st.kind for st in out.steps]
    assert kinds.count("copy_chunks") == 1
    sql = "\n".join(out.sql)
    for name in ("_sqlx_new_t", "_sqlx_sync_t_ins", "_sqlx_sync_t_upd", "_sqlx_sync_t_del"):
        assert name in sql
    assert "RENAME TABLE `t` TO `_sqlx_old_t`, `_sqlx_new_t` TO `t`" in sql
    assert "ALTER TABLE `_sqlx_new_t` MODIFY COLUMN `qty` bigint NOT NULL" in sql
    assert "TABLE_REWRITE" in out.hazards and "LONG_LOCK" not in out.hazards
    assert not out.lock.blocks_writes
    # the way back narrows: the plain MODIFY (a value that did not fit would fail the
    # table's writes through the sync triggers of a copy back)
    assert [st.sql for st in out.rollback] == ["ALTER TABLE `t` MODIFY COLUMN `qty` int NOT NULL"]
    checksum = "SELECT count(*), sum(id), sum(grp), sum(qty) FROM t"
    before = s.query(checksum).rows
    run(s, out)
    assert s.query(checksum).rows == before
    t = learn_database(s, db).snapshot.table("", "t")
    assert t.column("qty").type == "bigint"
    tables = s.query("SHOW TABLES").rows
    assert [r[0] for r in tables] == ["t"]  # no _sqlx_ debris
    assert s.query("SHOW TRIGGERS").rows == []
    run(s, out, out.rollback)
    assert learn_database(s, db).snapshot.table("", "t").column("qty").type == "int"
    assert s.query(checksum).rows == before


def test_mariadb_shadow_refused_without_primary_key(maria):
    s, db = maria
    s.execute("CREATE TABLE nopk (a int, b int)")
    ctx = context(s, db, MY_B + "; CREATE TABLE nopk (a bigint, b int)")
    op = plain(
        "op-001",
        "alter_column_type",
        ObjectRef("column", "", "a", "nopk"),
        ["ALTER TABLE `nopk` MODIFY COLUMN `a` bigint"],
        ["ALTER TABLE `nopk` MODIFY COLUMN `a` int"],
    )
    (out,) = choose((op,), ctx)
    assert out.strategy == "plain" and out.steps == op.steps
    assert any("no primary key" in n for n in out.notes)


def test_mariadb_foreign_key_stays_plain_with_the_reason(maria):
    s, db = maria
    s.execute("CREATE TABLE p (id bigint PRIMARY KEY)")
    ctx = context(s, db, MY_B)
    op = plain(
        "op-001",
        "add_foreign_key",
        ObjectRef("foreign_key", "", "t_p_fk", "t"),
        ["ALTER TABLE `t` ADD CONSTRAINT `t_p_fk` FOREIGN KEY (`grp`) REFERENCES `p` (`id`)"],
        ["ALTER TABLE `t` DROP FOREIGN KEY `t_p_fk`"],
    )
    (out,) = choose((op,), ctx)
    assert out.strategy == "plain" and any("ALGORITHM=COPY" in n for n in out.notes)


# ---------------------------------------------------------------------------- SQLite
def test_sqlite_rebuild_is_labelled_and_write_locks_the_database(tmp_path):
    url = f"sqlite:///{tmp_path}/x.db"
    with connect(url) as s:
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)")
        for caps in (True, False):
            ctx = context(
                s, "main", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL)", caps=caps
            )
            op = plain(
                "op-001",
                "rebuild_table",
                ObjectRef("table", "", "t"),
                ["CREATE TABLE _sqlx_new_t (id INTEGER PRIMARY KEY, a TEXT NOT NULL)"],
            )
            (out,) = choose((op,), ctx)
            assert out.strategy == "table_rebuild"
            assert out.lock.blocks_writes and out.lock.duration == "table_size"
            assert "write lock" in out.lock.level
        ctx = context(
            s, "main", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX t_a ON t (a)"
        )
        op = plain(
            "op-001",
            "create_index",
            ObjectRef("index", "", "t_a", "t"),
            ["CREATE INDEX t_a ON t (a)"],
            ["DROP INDEX t_a"],
        )
        (out,) = choose((op,), ctx)
        assert out.strategy == "plain" and any("write lock" in n for n in out.notes)


@pytest.mark.parametrize(
    ("wider", "strategy"),
    [("varchar(60)", "instant"), ("varchar(80)", "shadow_copy")],
)
def test_mariadb_varchar_widening_is_instant_only_within_its_length_prefix(
    fresh_mariadb_database, tmp_path, wider, strategy
):
    """utf8mb4 varchar(50) is 200 bytes (1-byte length prefix); varchar(60) = 240 bytes stays
    INSTANT, varchar(80) = 320 bytes needs a 2-byte prefix, which MariaDB refuses to do
    INSTANT (error 1846): the plan must choose the shadow copy, and it must apply."""
    from engine.planner import load_source, make_plan
    from engine.planner.apply import apply_plan

    url = fresh_mariadb_database
    table = "CREATE TABLE t (id bigint PRIMARY KEY, note {} CHARACTER SET utf8mb4)"
    with connect(url) as s:
        s.execute(table.format("varchar(50)"))
        s.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    desired = tmp_path / "b.sql"
    desired.write_text(table.format(wider))
    source = load_source(url)
    plan = make_plan(source, load_source(str(desired), dialect=source.snapshot.dialect))
    (op,) = plan.operations
    assert op.strategy == strategy, op.notes
    with connect(url) as s:
        report = apply_plan(s, plan, accept_hazards=frozenset(plan.hazards))
        assert report.status == "applied", report.message
        assert s.query("SELECT count(*) FROM t").scalar() == 2


def test_mariadb_fulltext_table_keeps_add_column_plain_and_it_applies(
    fresh_mariadb_database, tmp_path
):
    """InnoDB refuses INSTANT and LOCK=NONE column changes on a table with a FULLTEXT
    index: the plan must not promise them (it says why) and must still apply."""
    from engine.planner import load_source, make_plan
    from engine.planner.apply import apply_plan

    url = fresh_mariadb_database
    base = "CREATE TABLE t (id bigint PRIMARY KEY, body text{}, FULLTEXT KEY ft (body))"
    with connect(url) as s:
        s.execute(base.format(""))
    desired = tmp_path / "b.sql"
    desired.write_text(base.format(", extra int"))
    source = load_source(url)
    plan = make_plan(source, load_source(str(desired), dialect=source.snapshot.dialect))
    (op,) = plan.operations
    assert op.strategy == "plain" and any("fulltext" in n for n in op.notes), op.notes
    with connect(url) as s:
        report = apply_plan(s, plan, accept_hazards=frozenset(plan.hazards))
        assert report.status == "applied", report.message


def test_fallback_step_tries_the_next_form_only_when_the_algorithm_is_refused(
    fresh_mariadb_database,
):
    url = fresh_mariadb_database
    with connect(url) as s:
        s.execute("CREATE TABLE t (id bigint PRIMARY KEY, body text, FULLTEXT KEY ft (body))")
        op = plain("op-001", "add_column", ObjectRef("column", "", "x", "t"), ["SELECT 1"])
        forms = ", ALGORITHM=INSTANT, LOCK=NONE", ", ALGORITHM=INPLACE, LOCK=NONE", ""
        step = Step(
            "ALTER TABLE t ADD COLUMN x int" + forms[0],
            "sql_with_fallback",
            params=(
                ("fallback_codes", (1845, 1846)),
                ("fallbacks", tuple("ALTER TABLE t ADD COLUMN x int" + f for f in forms[1:])),
            ),
        )
        run(s, op, [step])
        assert [r[0] for r in s.query("SHOW COLUMNS FROM t").rows] == ["id", "body", "x"]
        # any other error is the step's failure, not a reason to try a weaker form
        with pytest.raises(ServerError) as failed:
            run(s, op, [step])
        assert failed.value.code == 1060  # duplicate column name


def test_mariadb_narrowing_stays_the_plain_alter(maria):
    """A conversion that may not fit (qty int -> smallint) would make the sync triggers of
    a shadow copy fail the table's writes: the plain MODIFY, which fails whole, is kept."""
    s, db = maria
    ctx = context(s, db, MY_A.replace("qty int NOT NULL", "qty smallint NOT NULL"))
    op = plain(
        "op-001",
        "alter_column_type",
        ObjectRef("column", "", "qty", "t"),
        ["ALTER TABLE `t` MODIFY COLUMN `qty` smallint NOT NULL"],
        ["ALTER TABLE `t` MODIFY COLUMN `qty` int NOT NULL"],
    )
    (out,) = choose((op,), ctx)
    assert out.strategy == "plain"
    assert "int -> smallint may fail for some values" in " ".join(out.notes)

"""INSTANT -> INPLACE fallbacks of the MySQL/MariaDB online rules (transports/flo/mysql/
online.json), checked against the rules' data and on the real MariaDB 10.11.

What the server said when these rules were written (MariaDB 10.11, ALGORITHM=INSTANT /
INPLACE with LOCK=NONE): ADD/DROP COLUMN on a ROW_FORMAT=COMPRESSED table refuse INSTANT
(1845) and accept INPLACE; RENAME COLUMN, SET DEFAULT, a default or comment MODIFY, DROP
FOREIGN KEY, DROP CHECK and a VARCHAR widening within its length prefix are INSTANT on
every row format. The fallbacks of the latter are for MySQL 8, which refuses INSTANT for
DROP FOREIGN KEY and a longer VARCHAR (and RENAME COLUMN before 8.0.28) and does them in
place. No rule falls back to ALGORITHM=COPY, which would block writes: a server refusing
both forms fails the step. The ALGORITHM rules are InnoDB's (`engine_in`): an Aria table
gets the next rule (the shadow copy) instead.
"""

from __future__ import annotations

import pytest

from engine import connect
from engine.errors import ServerError
from engine.flo import learn_database, learn_server
from engine.ir import parse_ddl
from engine.planner import load_source, make_plan
from engine.planner.hints import renames_from_sql
from engine.planner.model import ObjectRef, Operation, PlanContext, Step
from engine.planner.online import (
    _unmet,
    apply_rule,
    capabilities_of,
    choose,
    make_env,
    online_data,
)
from engine.planner.sources import Source
from engine.planner.steps import StepContext, executor_for

RULES = online_data("mysql")["kinds"]
INPLACE = {"algorithm": "INPLACE", "lock_clause": "NONE"}
#: op kinds whose INSTANT rule gained its fallback with this file (add/drop column had one)
NEW_FALLBACKS = (
    "alter_column",
    "set_default",
    "rename_column",
    "drop_foreign_key",
    "drop_check",
    "alter_column_type",
)


def _algorithm_rules():
    for kind, rules in RULES.items():
        for rule in rules:
            if rule.get("build") == "algorithm":
                yield kind, rule


def test_every_instant_rule_falls_back_to_inplace_and_nothing_falls_back_to_copy():
    instant = [k for k, r in _algorithm_rules() if r["algorithm"] == "INSTANT"]
    assert set(NEW_FALLBACKS) | {"add_column", "drop_column"} <= set(instant)
    for kind, rule in _algorithm_rules():
        forms = [rule, *rule.get("fallback", ())]
        assert all(f["algorithm"] != "COPY" and f["lock_clause"] == "NONE" for f in forms), kind
        if rule["algorithm"] == "INSTANT":
            assert rule.get("fallback") == [INPLACE], kind
            assert "never ALGORITHM=COPY" in rule["note"], kind
        else:  # INPLACE, LOCK=NONE is the last online form: the note says why it stops there
            assert "fallback" not in rule, kind
            assert "no fallback form" in rule["note"], kind


def _run(session, op: Operation) -> list[str]:
    """Run the op's steps through their executors; the fallback notes they left."""
    notes: list[str] = []
    for i, step in enumerate(op.steps):
        ctx = StepContext(operation=op, step_index=i)
        executor_for(step.kind)(session, step, ctx)
        notes += ctx.extra.get("notes", [])
    return notes


A = """
CREATE TABLE p (id int PRIMARY KEY) ROW_FORMAT=COMPRESSED;
CREATE TABLE t (
  id int PRIMARY KEY, p_id int, qty int, note varchar(20) CHARACTER SET utf8mb4,
  old_name int DEFAULT 1, gone int, label varchar(10) DEFAULT 'a',
  CONSTRAINT t_p FOREIGN KEY (p_id) REFERENCES p (id), CONSTRAINT qty_pos CHECK (qty > 0)
) ROW_FORMAT=COMPRESSED;
INSERT INTO p VALUES (1), (2);
INSERT INTO t (id, p_id, qty, note, old_name, gone, label)
  VALUES (1, 1, 5, 'x', 7, 0, 'a'), (2, 2, 6, 'y', 8, 0, 'b');
"""
B = """
CREATE TABLE p (id int PRIMARY KEY) ROW_FORMAT=COMPRESSED;
CREATE TABLE t (
  id int PRIMARY KEY, p_id int, qty int, note varchar(30) CHARACTER SET utf8mb4,
  new_name int DEFAULT 1, -- sqlx:rename-from old_name
  label varchar(10) DEFAULT 'z', added int,
  KEY t_p (p_id)
) ROW_FORMAT=COMPRESSED;
"""
ROWS = "SELECT id, p_id, qty, note, label FROM t ORDER BY id"


def test_compressed_table_instant_refusals_fall_back_and_the_rest_stay_instant(
    fresh_mariadb_database,
):
    url = fresh_mariadb_database
    name = url.rsplit("/", 1)[1]
    with connect(url) as s:
        for statement in A.split(";"):
            if statement.strip():
                s.execute(statement)
        before = s.query(ROWS).rows
    source = load_source(url, database=name)
    desired = parse_ddl(B, "mysql")
    plan = make_plan(source, Source("snapshot", "b", desired, renames=renames_from_sql(B, "mysql")))
    by_kind = {op.kind: op for op in plan.operations}
    assert {"add_column", "drop_column", "rename_column", "alter_column_metadata",
            "drop_foreign_key", "drop_check", "alter_column_type"} <= set(by_kind)  # fmt: skip
    fell_back: dict[str, list[str]] = {}
    with connect(url) as s:
        for op in plan.operations:
            if op.strategy == "instant":
                (step,) = op.steps
                assert step.kind == "sql_with_fallback", op.kind
                assert step.sql.endswith("ALGORITHM=INSTANT, LOCK=NONE"), step.sql
                assert [f[-30:] for f in step.param("fallbacks")] == [
                    ", ALGORITHM=INPLACE, LOCK=NONE"
                ], op.kind
            fell_back[op.kind] = _run(s, op)
        assert s.query(ROWS).rows == before
        after = learn_database(s, name).snapshot.table("", "t")
    for kind in ("add_column", "drop_column"):  # InnoDB: no INSTANT on COMPRESSED
        assert by_kind[kind].strategy == "instant"
        (refused,) = fell_back[kind]
        assert "[1845" in refused, refused
    for kind in ("rename_column", "alter_column_metadata", "drop_foreign_key", "drop_check",
                 "alter_column_type"):  # fmt: skip
        assert by_kind[kind].strategy == "instant", (kind, by_kind[kind].notes)
        assert fell_back[kind] == [], kind  # 10.11 does these INSTANT even here
    assert [c.name for c in after.columns] == [
        "id", "p_id", "qty", "note", "new_name", "label", "added"
    ]  # fmt: skip
    assert after.column("note").type == "varchar(30)" and after.column("label").default
    assert after.foreign_keys == () and after.checks == ()


def _aria_table(url: str):
    """An Aria table with one row, and the plain op widening its VARCHAR, in context."""
    name = url.rsplit("/", 1)[1]
    a = "CREATE TABLE t (id int PRIMARY KEY, note varchar(20)) ENGINE=Aria"
    b = "CREATE TABLE t (id int PRIMARY KEY, note varchar(30)) ENGINE=Aria"
    s = connect(url)
    s.execute(a)
    s.execute("INSERT INTO t VALUES (1, 'x')")
    learned = learn_database(s, name).snapshot
    context = PlanContext(
        dialect=learned.dialect,
        from_snapshot=learned,
        to_snapshot=parse_ddl(b, learned.dialect),
        capabilities=capabilities_of(learn_server(s)),
    )
    plain = Operation(
        "op-001",
        "alter_column_type",
        ObjectRef("column", "", "note", "t"),
        (Step("ALTER TABLE `t` MODIFY COLUMN `note` varchar(30)"),),
        (Step("ALTER TABLE `t` MODIFY COLUMN `note` varchar(20)"),),
    )
    return s, name, context, plain


def test_an_aria_table_gets_no_algorithm_clause_but_the_shadow_copy(fresh_mariadb_database):
    """INSTANT/INPLACE are InnoDB's: the rule names the engine, the next rule applies."""
    s, name, context, plain = _aria_table(fresh_mariadb_database)
    with s:
        (op,) = choose((plain,), context)
        assert op.strategy == "shadow_copy"
        instant = next(r for r in RULES["alter_column_type"] if r["strategy"] == "instant")
        env = make_env(plain, context, online_data("mysql"))
        assert _unmet(instant, env) == "the table's storage engine is Aria"
        _run(s, op)
        t = learn_database(s, name).snapshot.table("", "t")
        assert t.column("note").type == "varchar(30)"
        assert s.query("SELECT id, note FROM t").rows == [(1, "x")]


def test_an_engine_that_refuses_instant_and_inplace_fails_the_step_rather_than_copy(
    fresh_mariadb_database,
):
    """The fallback executor itself: the INSTANT rule forced onto an Aria table (its
    engine condition aside) tries INSTANT, then INPLACE, and fails; it never copies."""
    s, name, context, plain = _aria_table(fresh_mariadb_database)
    data = online_data("mysql")
    rule = next(r for r in RULES["alter_column_type"] if r["strategy"] == "instant")
    with s:
        op = apply_rule(plain, rule, make_env(plain, context, data))
        assert op.strategy == "instant" and op.steps[0].kind == "sql_with_fallback"
        seen: list[str] = []
        session_execute = s.execute

        def spy(sql):
            seen.append(sql)
            return session_execute(sql)

        s.execute = spy
        with pytest.raises(ServerError) as refused:
            _run(s, op)
        s.execute = session_execute
        assert refused.value.code == 1845
        assert [q.rsplit("ALGORITHM=", 1)[1] for q in seen] == ["INSTANT, LOCK=NONE",
                                                                "INPLACE, LOCK=NONE"]  # fmt: skip
        # nothing was copied or changed: the column is as it was, the row is there
        t = learn_database(s, name).snapshot.table("", "t")
        assert t.column("note").type == "varchar(20)"
        assert s.query("SELECT id, note FROM t").rows == [(1, "x")]

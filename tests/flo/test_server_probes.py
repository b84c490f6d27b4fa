"""The probe runner and the probe data: every family's probes.json is well formed, the
mysql family can never run DDL, timeouts turn into "undecided" with the evidence, and an
error the data declares as "unsupported" turns into False."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from engine import connect, errors
from engine.flo.probes import ProbeContext, check_family, load_family, run_probe
from engine.flo.server import learn_flavour, learn_version

FAMILIES = ("postgres", "mysql", "sqlite")
DDL = re.compile(r"\b(CREATE|ALTER|DROP|TRUNCATE|RENAME)\b", re.IGNORECASE)


def family_json(family: str) -> dict:
    node = resources.files("transports") / "flo" / family / "probes.json"
    return json.loads(node.read_text(encoding="utf-8"))


@pytest.mark.parametrize("family", FAMILIES)
def test_probe_data_is_well_formed(family):
    data = family_json(family)
    assert check_family(data) == []
    names = [p["name"] for p in data["capabilities"]]
    for required in (
        "cte",
        "recursive_cte",
        "window_functions",
        "json_type",
        "json_functions",
        "generated_columns",
        "check_constraints_enforced",
        "partial_indexes",
        "expression_indexes",
        "descending_indexes",
        "transactional_ddl",
        "savepoints",
        "isolation_levels",
        "concurrent_index_build",
        "instant_add_column",
        "returning",
        "upsert",
        "sequences",
        "identity_columns",
        "max_identifier_length",
        "max_parameters",
        "max_packet_size",
    ):
        assert required in names, (family, required)
    sql = resources.files("transports") / "flo" / family / "databases.sql"
    assert "is_system" in sql.read_text(encoding="utf-8")


def test_check_family_reports_problems():
    bad = {
        "family": "x",
        "version": {},
        "flavour": {},
        "run": {"query": {"wrap": "no placeholder"}},
        "capabilities": [
            {"name": "a", "method": "guess"},
            {"name": "a", "method": "rollback", "sql": ["CREATE TABLE t (x int)"]},
            {"name": "b", "method": "fact"},
            {"name": "c", "method": "query", "sql": "SELECT 1", "value": "float"},
        ],
    }
    problems = " | ".join(check_family(bad))
    assert "wrap must contain {sql}" in problems
    assert "unknown method 'guess'" in problems
    assert "duplicate name 'a'" in problems
    assert "needs run mode 'rollback'" in problems
    assert "a fact needs 'supported'" in problems
    assert "unknown value kind 'float'" in problems


def test_mysql_family_cannot_run_ddl():
    """MariaDB/MySQL DDL auto-commits: no rollback mode, and no DDL text anywhere."""
    data = family_json("mysql")
    assert "rollback" not in data["run"]
    for flavour_modes in (data.get("run_by_flavour") or {}).values():
        assert "rollback" not in flavour_modes
    for section in ("capabilities", "security"):
        for probe in data[section]:
            for variant in (probe, *(probe.get("by_flavour") or {}).values()):
                sql = variant.get("sql") or []
                for statement in [sql] if isinstance(sql, str) else sql:
                    assert not DDL.search(statement), (probe["name"], statement)


def context(session) -> ProbeContext:
    ctx = ProbeContext(session=session, family=load_family(session.cfg.scheme))
    learn_flavour(ctx)
    learn_version(ctx)
    return ctx


SLOW = {
    "postgres": "SELECT pg_sleep(30)",
    "mysql": "SELECT SLEEP(30)",
    "sqlite": "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) "
    "SELECT count(*) FROM t",
}


@pytest.mark.parametrize("fixture", ["pg_url", "mariadb_url", "sqlite"])
def test_a_probe_that_runs_too_long_is_undecided(fixture, request, tmp_path):
    url = f"sqlite:///{tmp_path}/t.db" if fixture == "sqlite" else request.getfixturevalue(fixture)
    with connect(url) as s:
        ctx = context(s)
        probe = {"name": "slow", "method": "query", "sql": SLOW[ctx.family["family"]]}
        cap = run_probe(ctx, {**probe, "timeout_ms": 300})
        assert cap.supported is None
        assert cap.evidence.error["class"] == "QueryCanceled"
        assert s.query("SELECT 1").scalar() == 1  # the session is still usable


def test_unsupported_error_gives_false_with_evidence(pg_url):
    with connect(pg_url) as s:
        ctx = context(s)
        cap = run_probe(ctx, {"name": "nope", "method": "query", "sql": "SELECT FROM WHERE ("})
        assert cap.supported is False
        assert cap.evidence.error["sqlstate"] == "42601"
        other = run_probe(ctx, {"name": "missing", "method": "query", "sql": "SELECT * FROM nx"})
        assert other.supported is None  # 42P01 is not a "not supported" answer
        assert other.evidence.error["sqlstate"] == "42P01"


def test_alternatives_are_tried_in_order(tmp_path):
    with connect(f"sqlite:///{tmp_path}/a.db") as s:
        ctx = context(s)
        probe = {
            "name": "alt",
            "method": "query",
            "sql": ["SELECT no_such_function(1)", "SELECT 42"],
            "value": "int",
        }
        cap = run_probe(ctx, probe)
        assert cap.supported == 42
        assert cap.evidence.statement == "SELECT 42"


def test_by_flavour_overlays_the_base(tmp_path):
    with connect(f"sqlite:///{tmp_path}/a.db") as s:
        ctx = context(s)
        probe = {
            "name": "f",
            "method": "fact",
            "supported": "base",
            "by_flavour": {ctx.flavour: {"supported": "flavoured"}, "other": {"supported": "x"}},
        }
        assert run_probe(ctx, probe).supported == "flavoured"


def test_a_family_without_the_mode_refuses_clearly(mariadb_url):
    with connect(mariadb_url) as s:
        ctx = context(s)
        probe = {"name": "ddl", "method": "rollback", "sql": ["SELECT 1"]}
        with pytest.raises(errors.ConfigError, match="no run mode 'rollback'"):
            run_probe(ctx, probe)

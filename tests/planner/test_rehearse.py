"""Rehearsal: the plan applied to a scratch database built from the source snapshot, the
scratch database dropped in every case, the real target untouched."""

from __future__ import annotations

import dataclasses
import os
from urllib.parse import urlsplit

import pytest

from engine import connect
from engine.errors import PlanRefused
from engine.planner.apply_checks import learn_live
from engine.planner.rehearse import rehearse
from tests.planner.test_apply_support import (
    FAMILIES,
    build_plan,
    journal_exists,
    live_hash,
    make_target,
    schema_ops,
)

ACCEPT = frozenset({"INDEX_BUILD"})


def scratch_databases(t) -> list[str]:
    sql = {
        "postgres": "SELECT datname FROM pg_database WHERE datname LIKE '\\_sqlx\\_rehearse\\_%'",
        "mariadb": "SELECT schema_name FROM information_schema.schemata "
        "WHERE schema_name LIKE '\\_sqlx\\_rehearse\\_%'",
    }[t.family]
    with t.connect() as s:
        return [r[0] for r in s.query(sql).rows]


def source_snapshot(t):
    with t.connect() as s:
        return learn_live(s, t.database or "main").snapshot


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_rehearsal_applies_on_a_scratch_copy_and_drops_it(request, tmp_path, family):
    t = make_target(request, family, tmp_path)
    plan = build_plan(t, schema_ops(t))
    snapshot = source_snapshot(t)
    before = sorted(os.listdir(tmp_path))
    with t.connect() as s:
        report = rehearse(s, plan, snapshot, accept_hazards=ACCEPT)
    assert report.action == "rehearse"
    assert report.status == "applied", report.message
    assert report.verified is True
    assert report.verification_hash == plan.target_hash_unordered
    assert any("dropped" in n for n in report.notes)
    assert report.database != (t.database or "main") or family == "sqlite"
    # the real target is untouched, the scratch copy is gone
    assert live_hash(t) == plan.source_hash
    assert not journal_exists(t)
    if family == "sqlite":
        assert sorted(os.listdir(tmp_path)) == before
    else:
        assert scratch_databases(t) == []


def test_rehearsal_failure_still_drops_the_scratch_database(request, tmp_path):
    t = make_target(request, "postgres", tmp_path)
    plan = build_plan(t, schema_ops(t))
    bad = dataclasses.replace(
        plan.operations[1],
        steps=(dataclasses.replace(plan.operations[1].steps[0], sql="ALTER TABLE nope ADD x int"),),
    )
    plan = dataclasses.replace(plan, operations=(plan.operations[0], bad, plan.operations[2]))
    with t.connect() as s:
        report = rehearse(s, plan, source_snapshot(t), accept_hazards=ACCEPT)
    assert report.status == "failed" and report.failed_op == "op-002"
    assert report.action == "rehearse"
    assert scratch_databases(t) == []
    assert live_hash(t) == plan.source_hash


def test_rehearsal_refused_when_the_user_cannot_create_databases(request, tmp_path, pg_scram_url):
    t = make_target(request, "postgres", tmp_path)
    plan = build_plan(t, schema_ops(t))
    snapshot = source_snapshot(t)
    db = urlsplit(t.url).path.lstrip("/")
    weak = urlsplit(pg_scram_url)._replace(path=f"/{db}").geturl()
    with connect(weak) as s, pytest.raises(PlanRefused) as info:
        rehearse(s, plan, snapshot, accept_hazards=ACCEPT)
    assert "may not create a scratch database" in info.value.message
    assert info.value.exit_code == 1
    assert scratch_databases(t) == []


def test_rehearsal_refuses_a_snapshot_that_is_not_the_plans_source(request, tmp_path):
    t = make_target(request, "sqlite", tmp_path)
    plan = build_plan(t, schema_ops(t))
    snapshot = source_snapshot(t)
    other = dataclasses.replace(snapshot, tables=snapshot.tables[:1])
    with t.connect() as s, pytest.raises(PlanRefused) as info:
        rehearse(s, plan, other, accept_hazards=ACCEPT)
    assert info.value.message.startswith("rehearsal:")
    assert "drift" in info.value.details

"""Plans on real databases: desired-state SQL planned against SQLite, PostgreSQL and
MariaDB connections, applied through the Celery task (eager), rolled back; drift refused."""

from __future__ import annotations

import contextlib
import sqlite3

import psycopg
import pytest

from apps.audit.models import AuditEvent
from apps.jobs.models import Run
from apps.plans import actions
from apps.plans.models import Plan, PlanExecution
from apps.workspaces.actions import ActionRefused
from tests._services import mariadb_connect
from tests.connections.conftest import MARIADB_TABLES, PG_TABLES
from tests.plans.conftest import learned

SQLITE_TABLES = (
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY,"
    " customer_id INTEGER REFERENCES customer(id), total REAL);"
)
#: family fixture -> (desired-state SQL: the fixture's schema plus customer.nickname)
DESIRED = {
    "sqlite_file": SQLITE_TABLES.replace(
        "email TEXT NOT NULL UNIQUE)", "email TEXT NOT NULL UNIQUE, nickname TEXT)"
    ),
    "pg_shop": PG_TABLES.replace(
        "email text NOT NULL UNIQUE)", "email text NOT NULL UNIQUE, nickname text)"
    ),
    "mariadb_shop": ";\n".join(MARIADB_TABLES).replace(
        "NOT NULL UNIQUE)", "NOT NULL UNIQUE, nickname VARCHAR(50))"
    ),
}


def customer_columns(fixture: str, url: str) -> set[str]:
    """Column names of customer, read with the test's own driver (not the engine)."""
    if fixture == "sqlite_file":
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return {row[1] for row in db.execute("PRAGMA table_info(customer)")}
    if fixture == "pg_shop":
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name='customer'"
            ).fetchall()
            return {r[0] for r in rows}
    with mariadb_connect(url) as conn, conn.cursor() as cur:
        cur.execute("SHOW COLUMNS FROM customer")
        return {r[0] for r in cur.fetchall()}


def execute(fixture: str, url: str, sql: str) -> None:
    if fixture == "sqlite_file":
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            db.execute(sql)
            db.commit()
    elif fixture == "pg_shop":
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)
    else:
        with mariadb_connect(url) as conn, conn.cursor() as cur:
            cur.execute(sql)


def stored_columns(target) -> set[str]:
    """customer's columns in the platform's stored snapshot of the target database."""
    target.refresh_from_db()
    snapshot = target.snapshot()
    return {c.name for t in snapshot.tables if t.name == "customer" for c in t.columns}


FAMILIES = ["sqlite_file", "pg_shop", "mariadb_shop"]


@pytest.mark.parametrize("fixture", FAMILIES)
def test_plan_apply_and_roll_back(request, world, acme, owner, fixture, make_plan, run_queued):
    url = request.getfixturevalue(fixture)
    target = learned(acme, owner, url)
    plan = make_plan(acme, owner, target, desired_sql=DESIRED[fixture])

    assert plan.state == Plan.State.DRAFT, plan.error
    assert [op["kind"] for op in plan.operations] == ["add_column"]
    assert "nickname" in plan.operations[0]["steps"][0]["sql"]
    assert plan.planning_run.state == Run.State.SUCCEEDED
    # the plan points at the target as learned (the database's own history) and at the
    # schema it leads to
    assert plan.before.database == target and plan.before.profile_hash == target.profile_hash
    assert plan.after.database is None and plan.after.origin == "plan"
    assert "nickname" in plan.after.profile_json

    execution = run_queued(actions.do_apply, plan, owner, accept_hazards=plan.hazards)
    execution.refresh_from_db()
    plan.refresh_from_db()
    assert execution.outcome == PlanExecution.Outcome.APPLIED, execution.message
    assert plan.state == Plan.State.APPLIED
    assert execution.run.state == Run.State.SUCCEEDED
    assert execution.report["verified"] is True
    assert [op["status"] for op in execution.report["operations"]] == ["done"]
    assert "nickname" in customer_columns(fixture, url)
    assert stored_columns(target) >= {"id", "nickname"}  # re-learned after the apply

    execution = run_queued(actions.do_rollback, plan, owner)
    execution.refresh_from_db()
    plan.refresh_from_db()
    assert execution.outcome == PlanExecution.Outcome.ROLLED_BACK, execution.message
    assert plan.state == Plan.State.ROLLED_BACK
    assert "nickname" not in customer_columns(fixture, url)
    assert "nickname" not in stored_columns(target)
    assert list(plan.executions.values_list("kind", flat=True)) == ["rollback", "apply"]

    actions_seen = set(AuditEvent.objects.filter(workspace=acme).values_list("action", flat=True))
    assert {
        "plan.create",
        "plan.compute",
        "apply.request",
        "apply",
        "rollback.request",
        "rollback",
    } <= actions_seen


@pytest.mark.parametrize("fixture", ["sqlite_file", "pg_shop"])
def test_drift_is_refused_with_the_engines_message(
    request, world, acme, owner, fixture, make_plan, run_queued
):
    url = request.getfixturevalue(fixture)
    target = learned(acme, owner, url)
    plan = make_plan(acme, owner, target, desired_sql=DESIRED[fixture])
    execute(fixture, url, "CREATE TABLE sneaky (id integer PRIMARY KEY)")

    execution = run_queued(actions.do_apply, plan, owner, accept_hazards=plan.hazards)
    execution.refresh_from_db()
    plan.refresh_from_db()
    assert execution.outcome == PlanExecution.Outcome.REFUSED
    assert "drifted" in execution.message and "sneaky" in execution.message
    assert execution.run.state == Run.State.FAILED
    assert "drifted" in execution.run.error
    assert plan.state == Plan.State.DRAFT  # back where it was: plan again or fix the drift
    assert "nickname" not in customer_columns(fixture, url)
    event = AuditEvent.objects.filter(workspace=acme, action="apply").latest("seq")
    assert event.outcome == "refused"


def test_sql_that_does_not_parse_fails_planning(world, acme, owner, sqlite_file, make_plan):
    target = learned(acme, owner, sqlite_file)
    plan = make_plan(acme, owner, target, desired_sql="CREATE TABLE (((")
    assert plan.state == Plan.State.FAILED
    assert plan.error
    assert plan.planning_run.state == Run.State.FAILED
    assert plan.planning_run.error == plan.error
    event = AuditEvent.objects.filter(workspace=acme, action="plan.compute").latest("seq")
    assert event.outcome == "failed"
    with pytest.raises(ActionRefused, match="never computed"):
        actions.do_apply(plan, owner)
    assert not plan.executions.exists()


def test_a_plan_whose_planning_failed_offers_no_apply_or_rollback(
    world, acme, owner, sqlite_file, make_plan, host_client
):
    target = learned(acme, owner, sqlite_file)
    plan = make_plan(acme, owner, target, desired_sql="CREATE TABLE (((")
    html = host_client(owner, "acme.localhost").get(f"/plans/{plan.pk}/").content.decode()
    assert plan.error.split(":")[0] in html
    assert f'action="/plans/{plan.pk}/apply/"' not in html
    assert f'action="/plans/{plan.pk}/rollback/"' not in html

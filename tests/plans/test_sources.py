"""Where the desired schema comes from: another live database, a stored snapshot, or
SQL; renames declared in the form reach the engine; the online strategies' gate."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from apps.licensing.actions import do_install_license
from apps.plans.models import Plan
from tests.licensing.conftest import Issuer, private_pem
from tests.plans.conftest import learned

DESIRED = (
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, vip INTEGER);"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY,"
    " customer_id INTEGER REFERENCES customer(id), total REAL);"
)


@pytest.fixture
def desired_db(tmp_path):
    path = tmp_path / "desired.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(DESIRED)
        db.commit()
    return f"sqlite:///{path}"


@pytest.fixture
def licensed(settings, world):
    """acme holds a pro license (online_apply + approvals)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    settings.LICENSE_ISSUER_KEY = private_pem(key)
    settings.LICENSE_PUBLIC_KEY = None
    do_install_license(world.acme, Issuer(key).token(), world.users["owner"])
    return world.acme


def adds_vip(plan: Plan) -> bool:
    return [(op["kind"], op["target"]["name"]) for op in plan.operations] == [("add_column", "vip")]


def test_live_to_live(world, acme, owner, sqlite_file, desired_db, make_plan):
    target = learned(acme, owner, sqlite_file)
    source = learned(acme, owner, desired_db, name="desired")
    plan = make_plan(
        acme,
        owner,
        target,
        source_kind="live",
        source_connection=source.connection,
        source_database=source.name,
    )
    assert plan.state == Plan.State.DRAFT, plan.error
    assert adds_vip(plan)
    assert plan.source_label == f"live desired/{source.name}"


def test_snapshot(world, acme, owner, sqlite_file, desired_db, make_plan):
    target = learned(acme, owner, sqlite_file)
    source = learned(acme, owner, desired_db, name="desired")
    with contextlib.closing(sqlite3.connect(desired_db.removeprefix("sqlite:///"))) as db:
        db.execute("ALTER TABLE customer ADD COLUMN later TEXT")  # after the snapshot
        db.commit()
    plan = make_plan(acme, owner, target, source_kind="snapshot", source_snapshot=source.latest)
    assert plan.state == Plan.State.DRAFT, plan.error
    assert adds_vip(plan)  # the stored snapshot, not the live database
    assert plan.source_label.startswith(f"snapshot #{source.latest_id} of desired/")


def test_declared_rename_keeps_the_column(world, acme, owner, sqlite_file, make_plan):
    target = learned(acme, owner, sqlite_file)
    renamed = DESIRED.replace(", vip INTEGER", "").replace("total REAL", "amount REAL")
    plan = make_plan(acme, owner, target, desired_sql=renamed, renames="column:orders.total=amount")
    assert plan.state == Plan.State.DRAFT, plan.error
    assert [op["kind"] for op in plan.operations] == ["rename_column"]


def test_other_workspaces_source_is_refused(world, acme, owner, sqlite_file):
    from apps.plans import actions
    from apps.workspaces.actions import ActionRefused

    target = learned(acme, owner, sqlite_file)
    with pytest.raises(ActionRefused):
        actions.do_create_plan(
            acme,
            owner,
            connection=target.connection,
            database=target.name,
            title="x",
            source_kind="live",
            source_connection=world.globex.connections.get(),
            source_database="main",
        )


INDEXED = "CREATE INDEX customer_email_idx ON customer (email);"


def test_online_strategies_need_the_entitlement(world, acme, owner, pg_shop, make_plan):
    from tests.connections.conftest import PG_TABLES

    target = learned(acme, owner, pg_shop)
    plain = make_plan(acme, owner, target, desired_sql=PG_TABLES + INDEXED)
    assert plain.state == Plan.State.DRAFT, plain.error
    assert not plain.online
    assert [op["strategy"] for op in plain.operations] == ["plain"]


def test_online_strategies_with_the_entitlement(world, acme, owner, pg_shop, make_plan, licensed):
    from tests.connections.conftest import PG_TABLES

    target = learned(acme, owner, pg_shop)
    online = make_plan(acme, owner, target, desired_sql=PG_TABLES + INDEXED)
    assert online.state == Plan.State.DRAFT, online.error
    assert online.online
    assert [op["strategy"] for op in online.operations] == ["concurrent"]
    assert "CONCURRENTLY" in online.operations[0]["steps"][0]["sql"]


def test_approvals_entitlement_requires_an_approval(
    world, acme, owner, sqlite_file, make_plan, run_queued, licensed
):
    from apps.plans import actions
    from apps.workspaces.actions import ActionRefused

    target = learned(acme, owner, sqlite_file)
    plan = make_plan(acme, owner, target, desired_sql=DESIRED)
    with pytest.raises(ActionRefused, match="requires an approval"):
        actions.do_apply(plan, owner, accept_hazards=plan.hazards)
    actions.do_approve(plan, world.users["admin"])
    plan.refresh_from_db()
    execution = run_queued(actions.do_apply, plan, owner, accept_hazards=plan.hazards)
    execution.refresh_from_db()
    assert execution.outcome == "applied", execution.message


def test_no_secret_reaches_the_plan_run_or_page(
    world, acme, owner, pg_shop, make_plan, host_client
):
    from urllib.parse import unquote, urlsplit

    from apps.jobs.models import RunLog

    password = unquote(urlsplit(pg_shop).password)
    target = learned(acme, owner, pg_shop)
    plan = make_plan(acme, owner, target, desired_sql="CREATE TABLE t (id int PRIMARY KEY);")
    stored = [plan.plan_json, plan.before.profile_json, plan.after.profile_json, plan.error]
    run = plan.planning_run
    stored += [run.params, run.result, run.error]
    stored += list(RunLog.objects.filter(run=run).values_list("line", flat=True))
    page = host_client(owner, "acme.localhost").get(f"/plans/{plan.pk}/").content.decode()
    assert password not in str(stored) and password not in page

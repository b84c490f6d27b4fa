"""Snapshots as a database's history: a learn adds a row only when the schema changed, a
snapshot taken on request keeps its label, each one downloads byte for byte and a plan can
lead to it; the form's "start from the current schema"; older platform data migrated."""

from __future__ import annotations

import json

import pytest

from apps.connections.learning import learn_connection
from apps.connections.models import Snapshot
from apps.jobs.models import Run
from apps.plans.models import Plan
from engine import ir
from tests.plans.conftest import learned
from tests.plans.test_flow import execute


def test_learning_keeps_one_row_per_schema_version(world, acme, owner, sqlite_file):
    shop = learned(acme, owner, sqlite_file)
    first = shop.latest
    assert first.origin == "learn" and first.database == shop
    assert ir.profile_hash(first.ir()) == first.profile_hash == shop.profile_hash
    assert first.size == len(first.profile_json)

    learn_connection(shop.connection, owner)  # nothing changed: no new row
    assert shop.snapshots.count() == 1

    execute("sqlite_file", sqlite_file, "ALTER TABLE customer ADD COLUMN nickname TEXT")
    learn_connection(shop.connection, owner)
    shop.refresh_from_db()
    assert shop.snapshots.count() == 2
    assert shop.latest_id != first.pk and "nickname" in shop.latest.profile_json
    first.refresh_from_db()  # the old version is kept as it was
    assert "nickname" not in first.profile_json


def test_history_page_download_and_plan_link(world, acme, owner, sqlite_file, host_client):
    shop = learned(acme, owner, sqlite_file)
    client = host_client(owner, "acme.localhost")
    base = f"/explore/{shop.connection_id}/snapshots/"
    page = client.get(base, {"db": shop.name}).content.decode()
    assert shop.profile_hash[:23] in page and "latest" in page
    link = f"/plans/new/?source_kind=snapshot&amp;source_snapshot={shop.latest_id}"
    assert link in page

    download = client.get(f"/explore/snapshots/{shop.latest_id}.json")
    assert download.status_code == 200
    assert download.content.decode() == shop.latest.profile_json  # the engine's bytes
    assert ir.profile_hash(ir.loads(download.content.decode())) == shop.profile_hash

    form = client.get(f"/plans/new/?source_kind=snapshot&source_snapshot={shop.latest_id}")
    selected = f'<option value="{shop.latest_id}" selected>'
    assert selected in form.content.decode()


def test_another_workspaces_snapshot_is_404(world, host_client):
    client = host_client(world.users["viewer"], "acme.localhost")
    own, theirs = (world.objects["snapshot_id"][slug] for slug in ("acme", "globex"))
    assert client.get(f"/explore/snapshots/{own}.json").status_code == 200
    assert client.get(f"/explore/snapshots/{theirs}.json").status_code == 404


def test_take_snapshot_keeps_a_labelled_copy(
    world, acme, owner, sqlite_file, host_client, eager_celery, django_capture_on_commit_callbacks
):
    shop = learned(acme, owner, sqlite_file)
    client = host_client(owner, "acme.localhost")
    url = f"/explore/{shop.connection_id}/snapshots/take/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"db": shop.name, "label": "  before   release 42 "})
    run = Run.objects.get(kind="snapshot")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{run.pk}/"
    assert run.state == Run.State.SUCCEEDED, run.error
    kept = Snapshot.objects.get(pk=run.result["snapshot"])
    assert (kept.origin, kept.label, kept.created_by) == ("manual", "before release 42", owner)
    assert kept.profile_hash == shop.profile_hash and kept.pk != shop.latest_id
    assert run.params == {"database": shop.name, "label": "before release 42"}


def test_a_snapshot_is_refused_while_a_learn_of_the_connection_is_open(
    world, acme, owner, sqlite_file, host_client
):
    """No worker runs here (no on-commit execution): the first snapshot stays queued, and
    the page says why a second one is refused instead of starting it."""
    shop = learned(acme, owner, sqlite_file)
    client = host_client(owner, "acme.localhost")
    url = f"/explore/{shop.connection_id}/snapshots/take/"
    assert client.post(url, {"db": shop.name}).status_code == 302
    first = Run.objects.get(kind="snapshot")
    response = client.post(url, {"db": shop.name}, follow=True)
    assert Run.objects.filter(kind="snapshot").count() == 1
    assert response.redirect_chain[-1][0] == (
        f"/explore/{shop.connection_id}/snapshots/?db={shop.name}"
    )
    assert f"already queued (run {first.pk})" in response.content.decode()


def test_a_viewer_cannot_take_a_snapshot(world, acme, owner, sqlite_file, host_client):
    shop = learned(acme, owner, sqlite_file)
    client = host_client(world.users["viewer"], "acme.localhost")
    url = f"/explore/{shop.connection_id}/snapshots/take/"
    assert client.post(url, {"db": shop.name}).status_code == 403
    page = client.get(f"/explore/{shop.connection_id}/snapshots/", {"db": shop.name})
    assert page.status_code == 200 and "Take snapshot now" not in page.content.decode()
    assert not Run.objects.filter(kind="snapshot").exists()


def test_start_from_the_current_schema(world, acme, owner, sqlite_file, host_client):
    shop = learned(acme, owner, sqlite_file)
    client = host_client(owner, "acme.localhost")
    plans = Plan.objects.count()
    page = client.post("/plans/new/", {"prefill": "1", "target": shop.pk, "title": "Mine"})
    text = page.content.decode()
    assert page.status_code == 200 and "This field is required" not in text
    for statement in ir.render_ddl(shop.latest.ir()):
        first_line = statement.splitlines()[0]
        assert first_line.replace('"', "&quot;") in text
    assert 'value="Mine"' in text
    assert Plan.objects.count() == plans


def test_planning_from_a_snapshot_uses_that_version(world, acme, owner, sqlite_file, make_plan):
    """The plan leads to the snapshot chosen, not to whatever was learned since."""
    shop = learned(acme, owner, sqlite_file)
    old = shop.latest
    execute("sqlite_file", sqlite_file, "ALTER TABLE customer ADD COLUMN nickname TEXT")
    learn_connection(shop.connection, owner)
    shop.refresh_from_db()
    plan = make_plan(acme, owner, shop, source_kind="snapshot", source_snapshot=old)
    assert plan.state == Plan.State.DRAFT, plan.error
    assert plan.operations and "nickname" in plan.before.profile_json
    assert "nickname" not in plan.after.profile_json
    assert plan.after.profile_hash == old.profile_hash
    assert plan.before.pk == shop.latest_id  # the target as learned at plan time


@pytest.mark.django_db(transaction=True)
def test_migration_moves_stored_schemas_into_snapshots(sqlite_file):
    """Platform data from before snapshots had rows of their own is carried over."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("connections", "0002_policies_servers_databases"), ("plans", "0001_initial")]
    after = [("connections", "0003_snapshots"), ("plans", "0002_snapshots")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("auth", "User").objects.create(username="m@x.test", email="m@x.test")
    workspace = old.get_model("workspaces", "Workspace").objects.create(name="Old", slug="old")
    policy = old.get_model("connections", "ConnectionPolicy").objects.create(
        workspace=workspace, name="Default"
    )
    conn = old.get_model("connections", "Connection").objects.create(
        workspace=workspace, name="c", url=sqlite_file, policy=policy
    )
    schema_ir = ir.parse_ddl("CREATE TABLE t (id INTEGER PRIMARY KEY);", "sqlite")
    text = ir.dumps(schema_ir)
    database = conn.databases.create(
        name="main", profile_json=text, profile_hash=ir.profile_hash(schema_ir)
    )
    after_ir = ir.parse_ddl("CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT);", "sqlite")
    plan = old.get_model("plans", "Plan").objects.create(
        workspace=workspace,
        connection=conn,
        database="main",
        title="p",
        source_kind="snapshot",
        source_schema=database,
        from_snapshot_json=text,
        to_snapshot_json=ir.dumps(after_ir),
        created_by=user,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    moved = new.get_model("connections", "DatabaseSchema").objects.get(pk=database.pk)
    kept = new.get_model("connections", "Snapshot").objects.get(pk=moved.latest_id)
    assert kept.profile_json == text and kept.profile_hash == ir.profile_hash(schema_ir)
    migrated = new.get_model("plans", "Plan").objects.get(pk=plan.pk)
    assert migrated.before.profile_json == text and migrated.before.database_id == database.pk
    assert json.loads(migrated.after.profile_json) == json.loads(ir.dumps(after_ir))
    assert migrated.after.profile_hash == ir.profile_hash(after_ir)
    assert migrated.source_snapshot_id == kept.pk
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the schema current

"""Migration 0002 carries connections made before issue #6 (the demo's SQLite file, a server
registered by URL) over: a default policy per workspace, and the columns read from the URL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("connections", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_existing_connections_are_carried_over():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Workspace = old.get_model("workspaces", "Workspace")
    Connection = old.get_model("connections", "Connection")
    demo = Workspace.objects.create(name="Demo", slug="demo-old")
    other = Workspace.objects.create(name="Other", slug="other-old")
    Connection.objects.create(workspace=demo, name="Sample", url="sqlite:////data/sample.db")
    Connection.objects.create(
        workspace=demo, name="Orders", url="mariadb://app@db.example.com:3307/orders"
    )
    Connection.objects.create(workspace=other, name="Broken", url="nonsense://x")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from apps.connections.models import Connection as Current
    from apps.connections.models import ConnectionPolicy

    sample = Current.objects.get(name="Sample")
    orders = Current.objects.get(name="Orders")
    broken = Current.objects.get(name="Broken")
    assert (sample.family, sample.host, sample.port) == ("sqlite", "", None)
    assert (orders.family, orders.host, orders.port, orders.username) == (
        "mysql",
        "db.example.com",
        3307,
        "app",
    )
    assert sample.policy == orders.policy
    assert sample.policy.name == "Default" and sample.policy.workspace_id == demo.pk
    assert broken.policy.workspace_id == other.pk and broken.family == ""
    assert ConnectionPolicy.objects.count() == 2
    assert sample.secret is None and sample.status == "new"

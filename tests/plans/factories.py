"""A stored plan without a server behind it: for URL walkers and page tests that need a
`plan_id` (tests/conftest.py's `world` can call `stored_plan(workspace)`)."""

from __future__ import annotations


def stored_plan(workspace, created_by=None, **fields):
    from apps.plans.models import Plan

    values = {
        "workspace": workspace,
        "connection": workspace.connections.first(),
        "database": "main",
        "title": "Add a column",
        "source_kind": Plan.Source.SQL,
        "desired_sql": "CREATE TABLE t (id integer PRIMARY KEY);",
        "state": Plan.State.DRAFT,
        "plan_json": {
            "format": "nublox.plan/1",
            "operations": [],
            "findings": [],
            "source_hash": "sha256:from",
            "target_hash": "sha256:to",
        },
        "created_by": created_by,
        **fields,
    }
    return Plan.objects.create(**values)

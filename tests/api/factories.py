"""OBJECT_FACTORIES: for every path parameter of the API, an acme object's id.

tests/api/test_isolation.py fills each operation's path parameters from here and calls it
as globex; a parameter missing here fails that test ("add a factory for <name>"), so every
new endpoint is covered. Shared by the API helpers: append one function per parameter.
"""

from __future__ import annotations

from collections.abc import Callable


def member_id(world) -> int:
    return world.objects["member_id"]["acme"]


def invitation_id(world) -> int:
    return world.objects["invitation_id"]["acme"]


def project_id(world) -> int:
    return world.objects["project_id"]["acme"]


OBJECT_FACTORIES: dict[str, Callable] = {
    "member_id": member_id,
    "invitation_id": invitation_id,
    "project_id": project_id,
}


# --- connections and runs (helper api-conn) ---


def connection_id(world) -> int:
    return world.objects["connection_id"]["acme"]


def run_id(world) -> int:
    return world.objects["run_id"]["acme"]


OBJECT_FACTORIES.update(connection_id=connection_id, run_id=run_id)


# --- plans and snapshots (lead) ---


def plan_id(world) -> int:
    return world.objects["plan_id"]["acme"]


def snapshot_id(world) -> int:
    return world.objects["snapshot_id"]["acme"]


OBJECT_FACTORIES.update(plan_id=plan_id, snapshot_id=snapshot_id)

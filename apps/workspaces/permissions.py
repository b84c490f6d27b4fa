"""The one place that decides who may do what in a workspace.

Roles map to sets of actions. Views (through apps.workspaces.access), the API and tasks
all ask `can()`; nothing else in the code base compares role names.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    DEVELOPER = "developer", "Developer"
    ANALYST = "analyst", "Analyst"
    VIEWER = "viewer", "Viewer"


class Action(models.TextChoices):
    VIEW = "view", "View the workspace, its connections, schemas and plans"
    QUERY_READ = "query-read", "Run read-only queries"
    QUERY_WRITE = "query-write", "Run queries that change data"
    PLAN = "plan", "Create and edit change plans"
    APPROVE = "approve", "Approve plans"
    APPLY = "apply", "Apply and roll back plans"
    MANAGE_CONNECTIONS = "manage-connections", "Add, edit and remove connections and projects"
    MANAGE_MEMBERS = "manage-members", "Invite and remove members, change roles"
    MANAGE_BILLING = "manage-billing", "Plan, seats, license and workspace settings"


_READ = {Action.VIEW, Action.QUERY_READ}
_BUILD = _READ | {Action.QUERY_WRITE, Action.PLAN, Action.APPLY}
_ADMIN = _BUILD | {Action.APPROVE, Action.MANAGE_CONNECTIONS, Action.MANAGE_MEMBERS}

ALLOWED: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.ADMIN: frozenset(_ADMIN),
    Role.DEVELOPER: frozenset(_BUILD),
    Role.ANALYST: frozenset(_READ),
    Role.VIEWER: frozenset({Action.VIEW}),
}

#: Roles a member may hand out: an admin cannot create owners.
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.OWNER: frozenset(Role),
    Role.ADMIN: frozenset(Role) - {Role.OWNER},
}


def can(role: str | None, action: str) -> bool:
    """True if a member with `role` may perform `action`. Unknown roles may do nothing."""
    if role is None:
        return False
    try:
        return Action(action) in ALLOWED[Role(role)]
    except ValueError:
        return False


def allowed_actions(role: str | None) -> frozenset[Action]:
    try:
        return ALLOWED[Role(role)] if role else frozenset()
    except ValueError:
        return frozenset()


def can_grant(granter_role: str | None, role: str) -> bool:
    try:
        return Role(role) in GRANTABLE.get(Role(granter_role), frozenset())
    except ValueError:
        return False

"""Every router of the API and the prefix it is mounted at (apps/api/core.py mounts them).
One module per resource; each defines `router = ninja.Router(tags=[...])`."""

ROUTERS: list[tuple[str, str]] = [
    ("/workspace", "apps.api.routers.workspace"),
    ("/members", "apps.api.routers.members"),
    ("/invitations", "apps.api.routers.invitations"),
    ("/projects", "apps.api.routers.projects"),
    ("/connections", "apps.api.routers.connections"),
    ("/runs", "apps.api.routers.runs"),
    ("/snapshots", "apps.api.routers.snapshots"),
    ("/plans", "apps.api.routers.plans"),
    ("/audit", "apps.api.routers.audit"),
]

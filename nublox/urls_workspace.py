"""URLs served on a workspace's subdomain (<slug>.<base domain>).

The middleware has already resolved `request.workspace` and `request.membership` (or
answered 404) before any of these run. Every view here declares the permission action it
needs (see apps/workspaces/access.py); a test walks this module to check that.
"""

from django.urls import include, path

from apps.accounts import handoff
from apps.studio import views as studio_views
from apps.workspaces import views as workspace_views

urlpatterns = [
    path("", studio_views.dashboard, name="dashboard"),
    path("members/", workspace_views.members, name="members"),
    path("members/invite/", workspace_views.invite, name="member_invite"),
    path("members/<int:member_id>/role/", workspace_views.change_role, name="member_role"),
    path("members/<int:member_id>/remove/", workspace_views.remove_member, name="member_remove"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        workspace_views.revoke_invitation,
        name="invitation_revoke",
    ),
    path("projects/", workspace_views.projects, name="projects"),
    path("projects/new/", workspace_views.project_create, name="project_create"),
    path("projects/<int:project_id>/", workspace_views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/edit/", workspace_views.project_edit, name="project_edit"),
    path("connections/", studio_views.connections, name="connections"),
    path("connections/", include("apps.studio.connection_urls")),
    path(
        "connections/<int:connection_id>/",
        studio_views.connection_detail,
        name="connection_detail",
    ),
    path(
        "connections/<int:connection_id>/test/",
        studio_views.connection_test,
        name="connection_test",
    ),
    path(
        "connections/<int:connection_id>/learn/",
        studio_views.connection_learn,
        name="connection_learn",
    ),
    path("settings/", workspace_views.settings_page, name="workspace_settings"),
    path("license/", include("apps.licensing.urls")),
    path("audit/", include("apps.audit.urls")),
    path("jobs/", include("apps.jobs.urls")),
    path("plans/", include("apps.plans.urls")),
    path("sql/", include("apps.studio.sql_urls")),
    path("explore/", include("apps.studio.explore_urls")),
    path("api/v1/", include("apps.api.urls")),
    path("settings/api-tokens/", include("apps.api.token_urls")),
    path("accounts/handoff/accept/", handoff.accept, name="handoff_accept"),
    path("accounts/", include("allauth.urls")),
]

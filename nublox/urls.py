"""URLs of the apex domain: landing, accounts, workspace chooser and creation, admin."""

from django.contrib import admin
from django.urls import include, path

from apps.accounts import handoff
from apps.workspaces import views as workspace_views

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("workspaces/new/", workspace_views.create_workspace, name="workspace_create"),
    path(
        "invitations/<str:token>/",
        workspace_views.accept_invitation,
        name="invitation_accept",
    ),
    path("accounts/handoff/", handoff.start, name="handoff_start"),
    path("accounts/", include("allauth.urls")),
    path("accounts/profile/", include("apps.accounts.urls")),
    path("staff/licenses/", include("apps.licensing.staff_urls")),
    path("admin/", admin.site.urls),
]

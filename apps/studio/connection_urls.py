"""Adding, editing and deleting connections, and the policy page (mounted at connections/
next to the list and detail routes of nublox/urls_workspace.py)."""

from django.urls import path

from apps.studio import views

urlpatterns = [
    path("new/", views.connection_create, name="connection_create"),
    path("policies/", views.policies, name="connection_policies"),
    path("<int:connection_id>/edit/", views.connection_edit, name="connection_edit"),
    path("<int:connection_id>/delete/", views.connection_delete, name="connection_delete"),
]

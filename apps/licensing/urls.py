"""URLs of the licensing pages on a workspace subdomain (owners only)."""

from django.urls import path

from apps.licensing import views

urlpatterns = [
    path("", views.license_page, name="license"),
    path("install/", views.install, name="license_install"),
    path("revoke/", views.revoke, name="license_revoke"),
]

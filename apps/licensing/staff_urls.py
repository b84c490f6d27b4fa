"""Platform staff pages on the apex domain: every workspace's license (404 for non-staff)."""

from django.urls import path

from apps.licensing import views

urlpatterns = [
    path("", views.staff_list, name="staff_licenses"),
    path("<str:slug>/", views.staff_detail, name="staff_license_detail"),
    path("<str:slug>/install/", views.staff_install, name="staff_license_install"),
    path("<str:slug>/revoke/", views.staff_revoke, name="staff_license_revoke"),
]

"""URLs of the audit pages on a workspace subdomain."""

from django.urls import path

from apps.audit import views

urlpatterns = [
    path("", views.timeline, name="audit_timeline"),
    path("verify/", views.verify, name="audit_verify"),
    path("export/", views.export, name="audit_export"),
]

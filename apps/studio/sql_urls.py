"""URLs of the SQL editor on a workspace subdomain."""

from django.urls import path

from apps.studio.sql import views

urlpatterns = [
    path("", views.editor, name="sql_editor"),
    path("run/", views.run, name="sql_run"),
    path("results/", views.result_page, name="sql_result_page"),
    path("cancel/", views.cancel_run, name="sql_cancel"),
    path("export/", views.export_csv, name="sql_export"),
]

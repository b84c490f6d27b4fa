"""URLs of the jobs pages on a workspace subdomain."""

from django.urls import path

from apps.jobs import views

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("<int:run_id>/", views.run_detail, name="run_detail"),
    path("<int:run_id>/cancel/", views.run_cancel, name="run_cancel"),
]

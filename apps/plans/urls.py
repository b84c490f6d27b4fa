"""URLs of the plans pages on a workspace subdomain (included under plans/)."""

from django.urls import path

from apps.plans import views

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("new/", views.plan_create, name="plan_create"),
    path("<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("<int:plan_id>/plan.json", views.plan_document, name="plan_document"),
    path("<int:plan_id>/comment/", views.plan_comment, name="plan_comment"),
    path("<int:plan_id>/approve/", views.plan_approve, name="plan_approve"),
    path("<int:plan_id>/apply/", views.plan_apply, name="plan_apply"),
    path("<int:plan_id>/rollback/", views.plan_rollback, name="plan_rollback"),
]

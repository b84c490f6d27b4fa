"""URLs of the schema explorer on a workspace subdomain (mounted at explore/).

Only the connection's id is in the path; the database and object names are query
parameters (see apps/studio/explore/views.py).
"""

from django.urls import path

from apps.studio.explore import history, views

urlpatterns = [
    path("<int:connection_id>/snapshots/", history.snapshot_list, name="explore_snapshots"),
    path(
        "<int:connection_id>/snapshots/take/", history.snapshot_take, name="explore_snapshot_take"
    ),
    path(
        "snapshots/<int:snapshot_id>.json",
        history.snapshot_download,
        name="explore_snapshot_download",
    ),
    path("<int:connection_id>/", views.tree, name="explore_tree"),
    path("<int:connection_id>/table/", views.table_detail, name="explore_table"),
    path("<int:connection_id>/object/", views.object_detail, name="explore_object"),
    path("<int:connection_id>/search/", views.search, name="explore_search"),
    path("<int:connection_id>/er/", views.er_diagram, name="explore_er"),
    path("<int:connection_id>/er.svg", views.er_svg, name="explore_er_svg"),
]

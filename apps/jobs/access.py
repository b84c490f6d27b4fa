"""`get_run_for`: a run of the request's workspace, or 404."""

from django.shortcuts import get_object_or_404

from apps.jobs.models import Run
from apps.workspaces.access import require
from apps.workspaces.permissions import Action


def get_run_for(request, run_id: int, action: Action) -> Run:
    require(request, action)
    return get_object_or_404(
        Run.objects.select_related("created_by"), pk=run_id, workspace=request.workspace
    )

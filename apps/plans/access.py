"""`get_plan_for`: a plan of the request's workspace, or 404."""

from django.shortcuts import get_object_or_404

from apps.plans.models import Plan
from apps.workspaces.access import require
from apps.workspaces.permissions import Action


def get_plan_for(request, plan_id: int, action: Action) -> Plan:
    require(request, action)
    queryset = Plan.objects.select_related("connection", "created_by", "workspace")
    return get_object_or_404(queryset, pk=plan_id, workspace=request.workspace)

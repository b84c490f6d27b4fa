"""`get_connection_for`: a connection of the request's workspace, or 404."""

from django.shortcuts import get_object_or_404

from apps.connections.models import Connection
from apps.workspaces.access import require
from apps.workspaces.permissions import Action


def get_connection_for(request, connection_id: int, action: Action) -> Connection:
    require(request, action)
    return get_object_or_404(Connection, pk=connection_id, workspace=request.workspace)

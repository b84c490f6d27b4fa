"""`get_run_for`: a run of the request's workspace, or 404; and who may cancel a run."""

from django.shortcuts import get_object_or_404

from apps.jobs.models import Run
from apps.workspaces.access import require
from apps.workspaces.permissions import Action, can

#: Cancelling a run needs the action that starts its kind (the starter may always cancel).
CANCEL_ACTION: dict[str, Action] = {
    "learn": Action.MANAGE_CONNECTIONS,
    "test_connection": Action.MANAGE_CONNECTIONS,
    "snapshot": Action.PLAN,
    "plan": Action.PLAN,
    "apply": Action.APPLY,
    "rollback": Action.APPLY,
}


def may_cancel(run: Run, user, role: str | None) -> bool:
    if not run.is_open:
        return False
    if run.created_by_id is not None and run.created_by_id == getattr(user, "pk", None):
        return True
    return can(role, CANCEL_ACTION.get(run.kind, Action.APPLY))


def get_run_for(request, run_id: int, action: Action) -> Run:
    require(request, action)
    return get_object_or_404(
        Run.objects.select_related("created_by"), pk=run_id, workspace=request.workspace
    )

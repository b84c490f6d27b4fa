"""The jobs pages: recent runs of the workspace, and one run with its live progress.

Both first close runs whose worker stopped (reap_stale_runs), so a page never shows a dead
job as running. The run page renders everything stored so far; static/js/runs.js then
follows the websocket, and without JavaScript the page refreshes itself while the run is
open. `?fragment=progress` (or an htmx request) returns the progress partial alone.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.jobs.access import get_run_for, may_cancel
from apps.jobs.actions import do_cancel_run, reap_stale_runs
from apps.jobs.models import Run
from apps.workspaces.access import requires
from apps.workspaces.actions import ActionRefused
from apps.workspaces.permissions import Action

PAGE_SIZE = 25
MAX_LOG_LINES = 1000  # the newest; the websocket snapshot sends as many


@requires(Action.VIEW)
def run_list(request):
    reap_stale_runs(request.workspace)
    runs = Run.objects.filter(workspace=request.workspace).select_related("created_by")
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "jobs/run_list.html", {"page": page})


@requires(Action.VIEW)
def run_detail(request, run_id: int):
    reap_stale_runs(request.workspace)
    run = get_run_for(request, run_id, Action.VIEW)
    if request.htmx or request.GET.get("fragment") == "progress":
        return render(request, "jobs/_run_progress.html", {"run": run})
    logs = list(run.logs.order_by("-seq")[:MAX_LOG_LINES])[::-1]
    can_cancel = may_cancel(run, request.user, request.membership.role)
    context = {"run": run, "logs": logs, "can_cancel": can_cancel}
    return render(request, "jobs/run_detail.html", context)


@requires(Action.VIEW)
@require_POST
def run_cancel(request, run_id: int):
    """Cancel (audited as run.finish, state cancelled); back to where the button was."""
    run = get_run_for(request, run_id, Action.VIEW)
    try:
        do_cancel_run(run, request.user, request.membership.role)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, "Cancelled: the job stops after the step it is running.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("run_detail", run_id=run.pk)

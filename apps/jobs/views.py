"""The jobs pages: recent runs of the workspace, and one run with its live progress.

Both first close runs whose worker stopped (reap_stale_runs), so a page never shows a dead
job as running. The run page renders everything stored so far; static/js/runs.js then
follows the websocket, and without JavaScript the page refreshes itself while the run is
open. `?fragment=progress` (or an htmx request) returns the progress partial alone.
"""

from django.core.paginator import Paginator
from django.shortcuts import render

from apps.jobs.access import get_run_for
from apps.jobs.actions import reap_stale_runs
from apps.jobs.models import Run
from apps.workspaces.access import requires
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
    return render(request, "jobs/run_detail.html", {"run": run, "logs": logs})

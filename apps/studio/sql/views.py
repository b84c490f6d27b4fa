"""The SQL editor's screens: the editor, a run, a page of a result, cancel, CSV export.

Pages work without JavaScript (plain form posts render the whole page); with htmx the run,
paging and cancel swap only the result area. Who may change data is asked of the one
permissions module: a role without QUERY_WRITE runs read-only (readonly.py + runner.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.connections.access import get_connection_for
from apps.secrets.errors import SecretUnavailable
from apps.studio.sql import actions, cancel, results, runner
from apps.studio.sql.forms import EditorForm, new_query_id
from apps.studio.sql.streaming import for_asgi
from apps.workspaces.access import requires
from apps.workspaces.actions import ActionRefused
from apps.workspaces.permissions import Action, can
from engine.errors import EngineError

EXPIRED = "This result is no longer kept (or is not yours). Run the statement again."
PAGE = "studio/sql/editor.html"
RESULT = "studio/sql/_result.html"


def _mode(request) -> str:
    writes = can(request.membership.role, Action.QUERY_WRITE)
    return runner.READ_WRITE if writes else runner.READ_ONLY


def _render(request, form, **context):
    """The whole page, or only the result area for htmx."""
    context = {"form": form, "mode": _mode(request), "next_query_id": new_query_id(), **context}
    template = RESULT if request.htmx else PAGE
    return render(request, template, context)


def _fresh(request) -> EditorForm:
    """The posted form again, with a new query id for the next run."""
    data = request.POST.copy()
    data["query_id"] = new_query_id()
    return EditorForm(request.workspace, data)


@requires(Action.QUERY_READ)
def editor(request):
    initial = {}
    if connection_id := request.GET.get("connection", "").strip():
        initial["target"] = connection_id
    return _render(request, EditorForm(request.workspace, initial=initial))


def _checked(request):
    """(form, connection, runner.Request), or (form, None, None) with errors on the form."""
    form = EditorForm(request.workspace, request.POST)
    if not form.is_valid():
        return form, None, None
    connection_id, database = form.target_parts()
    connection = get_connection_for(request, connection_id, Action.QUERY_READ)
    data = form.cleaned_data
    most = connection.policy.statement_timeout_s
    if data["timeout_s"] > most:
        form.add_error(
            "timeout_s",
            f"At most {most} s: the statement timeout of policy “{connection.policy.name}”.",
        )
        return form, None, None
    req = runner.Request(
        sql=data["sql"],
        mode=_mode(request),
        explain="explain" in request.POST,
        database=database,
        row_limit=data["row_limit"],
        timeout_s=data["timeout_s"],
        query_id=data["query_id"],
    )
    return form, connection, req


@requires(Action.QUERY_READ)
@require_POST
def run(request):
    form, connection, req = _checked(request)
    if req is None:
        return _render(request, form)
    outcome = actions.do_run_query(connection, request.user, req)
    context = {"outcome": outcome, "connection": connection, "explain": req.explain}
    if outcome.ok:
        context["result_id"] = results.keep(outcome, request.user, request.workspace, req.sql)
        context["page"] = results.page_of(outcome, 1)
    return _render(request, _fresh(request), **context)


@requires(Action.QUERY_READ)
def result_page(request):
    """Another page of a kept result (never a second run): ?id=<result id>&page=<n>."""
    result_id = request.GET.get("id", "")
    kept = results.load(result_id, request.user, request.workspace) if result_id else None
    if kept is None:
        outcome = runner.Outcome(error=EXPIRED, outcome="failed")
        return _render(request, EditorForm(request.workspace), outcome=outcome)
    outcome, sql = kept
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    form = EditorForm(request.workspace, initial={"sql": sql})
    page = results.page_of(outcome, number)
    return _render(request, form, outcome=outcome, result_id=result_id, page=page)


@requires(Action.QUERY_READ)
@require_POST
def cancel_run(request):
    query_id = request.POST.get("query_id", "")
    stopped = cancel.request_cancel(query_id, request.user, request.workspace)
    text = "Cancelling…" if stopped else "Cancel requested."
    if request.htmx:
        return render(request, "studio/sql/_cancelled.html", {"text": text})
    messages.info(request, text)
    return redirect("sql_editor")


@requires(Action.QUERY_READ)
@require_POST
def export_csv(request):
    form, connection, req = _checked(request)
    if req is None:
        return _render(request, form)
    try:
        lines = actions.do_export_query(connection, request.user, req)
    except (ActionRefused, SecretUnavailable, EngineError) as exc:
        error = runner.sentence(exc) if isinstance(exc, EngineError) else str(exc)
        outcome = runner.Outcome(error=error, outcome="refused")
        return _render(request, _fresh(request), outcome=outcome)
    content = for_asgi(lines) if isinstance(request, ASGIRequest) else lines
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="query-{stamp}.csv"'
    return response

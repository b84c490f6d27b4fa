"""The plans pages: list, new plan, the plan page and its review and apply buttons.

Buttons post to small views that call one `do_*` action each and redirect back to the plan
page with the outcome as a message; a refusal is a message too, never an error page.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.views.decorators.http import require_POST

from apps.jobs.access import may_cancel
from apps.jobs.actions import reap_stale_runs
from apps.plans import actions
from apps.plans.access import get_plan_for
from apps.plans.ddl_diff import ddl_diff, ddl_statements
from apps.plans.execution import mark_key
from apps.plans.forms import PlanForm
from apps.plans.models import Plan
from apps.workspaces.access import requires
from apps.workspaces.actions import ActionRefused
from apps.workspaces.permissions import Action

PER_PAGE = 50
PROGRESS_TEMPLATE = "jobs/_run_progress.html"


@requires(Action.VIEW)
def plan_list(request):
    plans = Plan.objects.filter(workspace=request.workspace).select_related(
        "connection", "created_by"
    )
    page = Paginator(plans, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "plans/list.html", {"page": page})


INITIAL_FIELDS = ("title", "target", "source_kind", "source_live", "source_snapshot", "renames")


@requires(Action.PLAN)
def plan_create(request):
    """The form. A GET may preselect fields (links such as "Plan towards this snapshot");
    the `prefill` button fills the desired-state SQL with the target's schema as last
    learned, the usual starting point for editing a schema by hand."""
    given = request.POST if request.method == "POST" else request.GET
    initial = {k: given[k] for k in INITIAL_FIELDS if given.get(k)}
    if request.POST.get("prefill"):  # re-show the form, nothing validated yet
        initial["source_kind"] = Plan.Source.SQL
        initial["desired_sql"] = _current_ddl(request.workspace, given.get("target"))
        form = PlanForm(request.workspace, initial=initial)
        return render(request, "plans/create.html", {"form": form})
    form = PlanForm(request.workspace, request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = actions.do_create_plan(request.workspace, request.user, **form.plan_fields())
        except ActionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.info(request, "Planning has started: the page fills in when it is done.")
            return redirect("plan_detail", plan_id=plan.pk)
    return render(request, "plans/create.html", {"form": form})


@requires(Action.VIEW)
def plan_detail(request, plan_id: int):
    plan = get_plan_for(request, plan_id, Action.VIEW)
    if plan.state in actions.BUSY:
        reap_stale_runs(request.workspace)  # a dead worker's run is failed first...
        plan = actions.do_reconcile(plan)  # ...then the plan that waited for it
    executions = plan.executions.select_related("run", "requested_by")
    current_run = _current_run(plan, executions)
    context = {
        "plan": plan,
        "operations": _operations(plan, executions.first()),
        "findings": plan.plan_json.get("findings", []),
        "diff": ddl_diff(plan.before_id, plan.after_id),
        "comments": plan.comments.select_related("author"),
        "approvals": plan.approvals.select_related("approved_by"),
        "approved": actions.is_approved(plan),
        "approvals_required": actions.approvals_required(plan.workspace),
        "executions": executions,
        "current_run": current_run,
        "can_cancel": current_run is not None
        and may_cancel(current_run, request.user, request.membership.role),
        "progress_template": _progress_template(),
        "can_approve": plan.state in (Plan.State.DRAFT, Plan.State.APPROVED),
        # a plan whose planning failed has nothing to apply or roll back
        "can_apply": bool(plan.plan_json) and plan.state in actions.STARTABLE["apply"],
        "can_rollback": bool(plan.plan_json) and plan.state in actions.STARTABLE["rollback"],
    }
    return render(request, "plans/detail.html", context)


@requires(Action.VIEW)
def plan_document(request, plan_id: int):
    """The engine's plan file, for `sqlx lint` / `sqlx apply --plan` outside the Studio."""
    plan = get_plan_for(request, plan_id, Action.VIEW)
    if not plan.plan_json:
        raise Http404("This plan has not been computed.")
    text = json.dumps(plan.plan_json, sort_keys=True, indent=2) + "\n"
    response = HttpResponse(text, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}.json"'
    return response


def _current_ddl(workspace, target_id) -> str:
    """The DDL of a database's latest snapshot, as `engine.ir.render_ddl` writes it."""
    from apps.connections.models import DatabaseSchema

    found = DatabaseSchema.objects.filter(pk=target_id if str(target_id).isdigit() else None)
    schema = found.filter(connection__workspace=workspace).select_related("latest").first()
    statements = ddl_statements(schema.latest if schema else None)
    return "\n\n".join(statements) + "\n" if statements else ""


def _operations(plan: Plan, latest) -> list[dict]:
    """Operations with their lint findings and their status in the latest execution: its
    report once it finished, the run's marks while it runs (runs.js keeps those live)."""
    by_op: dict[str, list] = {}
    for finding in plan.plan_json.get("findings", []):
        by_op.setdefault(finding.get("operation"), []).append(finding)
    report = latest.report if latest is not None else {}
    status = {r["op_id"]: r["status"] for r in report.get("operations", [])}
    if not status and latest is not None and latest.run is not None:
        marks = latest.run.marks
        status = {
            op["id"]: marks[mark_key(op["id"])]
            for op in plan.operations
            if mark_key(op["id"]) in marks
        }
    return [
        {
            **op,
            "notes": _notes(plan, op),
            "lint": by_op.get(op["id"], []),
            "status": status.get(op["id"]),
        }
        for op in plan.operations
    ]


#: How the engine's packs begin the note of an operation planned without capabilities.
OFFLINE_NOTE = "planned offline"
NO_ENTITLEMENT = (
    "plain strategy kept: online strategies need the “online_apply” entitlement, "
    "which this workspace's license does not include"
)


def _notes(plan: Plan, op: dict) -> list[str]:
    """The operation's notes; planned without capabilities because the license withheld
    them, the engine's "planned offline" note would send a DBA looking for the wrong cause."""
    notes = list(op.get("notes", ()))
    if plan.online:
        return notes
    return [NO_ENTITLEMENT if n.startswith(OFFLINE_NOTE) else n for n in notes]


def _progress_template() -> str | None:
    """The jobs app's live progress partial, when it is installed."""
    try:
        get_template(PROGRESS_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return PROGRESS_TEMPLATE


def _current_run(plan: Plan, executions):
    """The run whose progress the page shows: planning, or the latest apply/rollback."""
    if plan.state == Plan.State.PLANNING:
        return plan.planning_run
    latest = executions.first()
    return latest.run if latest is not None else None


def _act(request, plan_id: int, action: Action, call, done: str):
    plan = get_plan_for(request, plan_id, action)
    try:
        call(plan)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("plan_detail", plan_id=plan.pk)


@requires(Action.PLAN)
@require_POST
def plan_comment(request, plan_id: int):
    body = request.POST.get("body", "")
    call = lambda plan: actions.do_comment(plan, request.user, body)  # noqa: E731
    return _act(request, plan_id, Action.PLAN, call, "Comment added.")


@requires(Action.APPROVE)
@require_POST
def plan_approve(request, plan_id: int):
    note = request.POST.get("note", "")
    call = lambda plan: actions.do_approve(plan, request.user, note)  # noqa: E731
    return _act(request, plan_id, Action.APPROVE, call, "Plan approved.")


@requires(Action.APPLY)
@require_POST
def plan_apply(request, plan_id: int):
    options = {
        "accept_hazards": request.POST.getlist("accept_hazard"),
        "allow_destructive": request.POST.get("allow_destructive") == "on",
    }
    call = lambda plan: actions.do_apply(plan, request.user, **options)  # noqa: E731
    return _act(request, plan_id, Action.APPLY, call, "Apply has started.")


@requires(Action.APPLY)
@require_POST
def plan_rollback(request, plan_id: int):
    destructive = request.POST.get("allow_destructive") == "on"
    call = lambda plan: actions.do_rollback(plan, request.user, allow_destructive=destructive)  # noqa: E731
    return _act(request, plan_id, Action.APPLY, call, "Rollback has started.")

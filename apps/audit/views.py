"""The audit page of a workspace: timeline, verify button and signed export.

Admins and owners only (Action.MANAGE_MEMBERS): the timeline names every member's actions.
The export also needs the license's `audit_export` entitlement.
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.audit.bundle import ExportRefused, export_bundle
from apps.audit.forms import ExportForm, TimelineFilter
from apps.audit.models import AuditEvent
from apps.audit.verify import verify_chain
from apps.licensing.entitlements import EntitlementMissing, has_entitlement, require_entitlement
from apps.workspaces.access import requires
from apps.workspaces.permissions import Action

PAGE_SIZE = 50
EXPORT_SPOOL = 32 * 1024 * 1024  # bundles up to this size stay in memory, larger go to disk


@requires(Action.MANAGE_MEMBERS)
def timeline(request):
    return _render(request)


@require_POST
@requires(Action.MANAGE_MEMBERS)
def verify(request):
    return _render(request, verify_result=verify_chain(request.workspace))


@require_POST
@requires(Action.MANAGE_MEMBERS)
def export(request):
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _render(request, export_form=form, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    # FileResponse closes the spool once the download is sent.
    spool = tempfile.SpooledTemporaryFile(max_size=EXPORT_SPOOL)  # noqa: SIM115
    try:
        require_entitlement(request.workspace, "audit_export")
        export_bundle(request.workspace, spool, start, end)
    except (ExportRefused, EntitlementMissing) as exc:
        spool.close()
        messages.error(request, str(exc))
        return redirect("audit_timeline")
    spool.seek(0)
    span = "-".join(str(day) for day in (start, end) if day) or "all"
    name = f"audit-{request.workspace.slug}-{span}.zip"
    return FileResponse(spool, as_attachment=True, filename=name, content_type="application/zip")


def _render(request, *, verify_result=None, export_form=None, status=200):
    workspace = request.workspace
    members = workspace.memberships.select_related("user").order_by("user__email")
    filters = TimelineFilter(request.GET or None, members=members)
    events = filters.apply(AuditEvent.objects.filter(workspace=workspace).order_by("-seq"))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "filter_query": query.urlencode(),
        "verify_result": verify_result,
        "export_form": export_form or ExportForm(),
        "can_export": has_entitlement(workspace, "audit_export"),
    }
    return render(request, "audit/timeline.html", context, status=status)

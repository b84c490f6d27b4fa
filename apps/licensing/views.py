"""License pages: a workspace's own (owners) and every workspace's (platform staff).

Both show the same summary — what the license grants, seats in use, the reason an
installed token was refused — and both install and revoke through apps.licensing.actions.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.licensing import actions
from apps.licensing.access import (
    get_license_for,
    get_license_for_staff,
    get_workspace_for_staff,
    staff_only,
)
from apps.licensing.entitlements import effective_license, label
from apps.licensing.forms import InstallForm, RevokeForm
from apps.licensing.seats import seats_in_use
from apps.licensing.tokens import ENTITLEMENTS, plan_for
from apps.workspaces.access import requires
from apps.workspaces.actions import ActionRefused
from apps.workspaces.models import Workspace
from apps.workspaces.permissions import Action


def summary(workspace) -> dict:
    current = effective_license(workspace)
    used = seats_in_use(workspace)
    return {
        "licensed": workspace,
        "current": current,
        "used": used,
        "over": used > current.seats,
        "entitlements": [
            {
                "name": n,
                "label": label(n),
                "granted": n in current.entitlements,
                "plan": plan_for(n),
            }
            for n in ENTITLEMENTS
        ],
        "history": workspace.licenses.select_related("installed_by", "revoked_by"),
    }


def _install(request, workspace, form) -> bool:
    if not form.is_valid():
        return False
    try:
        row = actions.do_install_license(workspace, form.cleaned_data["token"], request.user)
    except ActionRefused as exc:
        form.add_error("token", str(exc))
        return False
    messages.success(
        request,
        f"{row.get_plan_display()} license installed for {workspace.name}: {row.seats} seats.",
    )
    return True


def _revoke(request, find) -> None:
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the license to revoke.")
        return
    row = find(form.cleaned_data["license_id"])
    try:
        actions.do_revoke_license(row, request.user)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{row} revoked.")


# --- Workspace subdomain ------------------------------------------------------------------


def _page(request, form, status=200):
    context = {**summary(request.workspace), "form": form}
    return render(request, "licensing/license.html", context, status=status)


@requires(Action.MANAGE_BILLING)
def license_page(request):
    return _page(request, InstallForm())


@require_POST
@requires(Action.MANAGE_BILLING)
def install(request):
    form = InstallForm(request.POST)
    if _install(request, request.workspace, form):
        return redirect("license")
    return _page(request, form)


@require_POST
@requires(Action.MANAGE_BILLING)
def revoke(request):
    _revoke(request, lambda pk: get_license_for(request, pk, Action.MANAGE_BILLING))
    return redirect("license")


# --- Apex, platform staff -----------------------------------------------------------------


@staff_only
def staff_list(request):
    rows = [
        {"workspace": ws, "current": effective_license(ws), "used": seats_in_use(ws)}
        for ws in Workspace.objects.order_by("slug")
    ]
    return render(request, "licensing/staff_list.html", {"rows": rows})


def _staff_page(request, workspace, form):
    context = {**summary(workspace), "form": form}
    return render(request, "licensing/staff_detail.html", context)


@staff_only
def staff_detail(request, slug: str):
    return _staff_page(request, get_workspace_for_staff(request, slug), InstallForm())


@staff_only
@require_POST
def staff_install(request, slug: str):
    workspace = get_workspace_for_staff(request, slug)
    form = InstallForm(request.POST)
    if _install(request, workspace, form):
        return redirect("staff_license_detail", slug=slug)
    return _staff_page(request, workspace, form)


@staff_only
@require_POST
def staff_revoke(request, slug: str):
    workspace = get_workspace_for_staff(request, slug)
    _revoke(request, lambda pk: get_license_for_staff(request, workspace, pk))
    return redirect("staff_license_detail", slug=slug)

"""Workspace pages: apex chooser and creation, invitations, members, projects, settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.workspaces import actions
from apps.workspaces.access import (
    get_invitation_for,
    get_membership_for,
    get_project_for,
    requires,
)
from apps.workspaces.forms import (
    InviteForm,
    ProjectForm,
    RoleForm,
    WorkspaceForm,
    WorkspaceSettingsForm,
)
from apps.workspaces.hosts import request_port
from apps.workspaces.models import Membership
from apps.workspaces.permissions import Action, Role, can_grant

# --- Apex ---------------------------------------------------------------------------------


def home(request):
    if not request.user.is_authenticated:
        return render(request, "workspaces/landing.html")
    memberships = Membership.objects.filter(user=request.user).select_related("workspace")
    port = request_port(request)
    rows = [(m, m.workspace.url("/", port)) for m in memberships]
    return render(request, "workspaces/chooser.html", {"rows": rows})


@login_required
def create_workspace(request):
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = actions.do_create_workspace(
                request.user, form.cleaned_data["name"], form.cleaned_data["slug"]
            )
        except (actions.ActionRefused, ValidationError) as exc:
            form.add_error("slug", str(getattr(exc, "message", exc)))
        else:
            messages.success(request, f"Workspace {workspace.name} is ready.")
            return HttpResponseRedirect(workspace.url("/", request_port(request)))
    return render(request, "workspaces/create.html", {"form": form})


def accept_invitation(request, token: str):
    invitation = actions.find_invitation(token)
    if invitation is None:
        return render(request, "workspaces/invitation.html", {"invalid": True}, status=404)
    context = {"invitation": invitation}
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = actions.do_accept_invitation(token, request.user)
        except actions.ActionRefused as exc:
            context["error"] = str(exc)
        else:
            messages.success(request, f"Welcome to {membership.workspace.name}.")
            return HttpResponseRedirect(membership.workspace.url("/", request_port(request)))
    return render(request, "workspaces/invitation.html", context)


# --- Workspace subdomain ------------------------------------------------------------------


@requires(Action.VIEW)
def members(request):
    workspace = request.workspace
    grantable = [r for r in Role if can_grant(request.membership.role, r)]
    context = {
        "members": workspace.memberships.select_related("user"),
        "invitations": workspace.invitations.pending(),
        "invite_form": InviteForm(),
        "roles": grantable,
    }
    return render(request, "workspaces/members.html", context)


def _carry_out(request, do, success: str) -> bool:
    """Run a `do_*` action; flash its refusal, or `success`. True if it went through."""
    try:
        do()
    except actions.ActionRefused as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


@require_POST
@requires(Action.MANAGE_MEMBERS)
def invite(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a valid e-mail address and role.")
        return redirect("members")
    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    _carry_out(
        request,
        lambda: actions.do_invite(
            request.workspace, request.user, email, role, request_port(request)
        ),
        f"Invitation sent to {email}.",
    )
    return redirect("members")


@require_POST
@requires(Action.MANAGE_MEMBERS)
def change_role(request, member_id: int):
    membership = get_membership_for(request, member_id, Action.MANAGE_MEMBERS)
    form = RoleForm(request.POST)
    if form.is_valid():
        role = form.cleaned_data["role"]
        _carry_out(
            request,
            lambda: actions.do_change_role(membership, role, request.user),
            f"{membership.user.email} is now {Role(role).label}.",
        )
    return redirect("members")


@require_POST
@requires(Action.MANAGE_MEMBERS)
def remove_member(request, member_id: int):
    membership = get_membership_for(request, member_id, Action.MANAGE_MEMBERS)
    _carry_out(
        request,
        lambda: actions.do_remove_member(membership, request.user),
        f"{membership.user.email} was removed.",
    )
    return redirect("members")


@require_POST
@requires(Action.MANAGE_MEMBERS)
def revoke_invitation(request, invitation_id: int):
    invitation = get_invitation_for(request, invitation_id, Action.MANAGE_MEMBERS)
    _carry_out(
        request,
        lambda: actions.do_revoke_invitation(invitation, by=request.user),
        f"Invitation for {invitation.email} revoked.",
    )
    return redirect("members")


@requires(Action.VIEW)
def projects(request):
    return render(
        request,
        "workspaces/projects.html",
        {"projects": request.workspace.projects.all(), "form": ProjectForm()},
    )


@require_POST
@requires(Action.MANAGE_CONNECTIONS)
def project_create(request):
    form = ProjectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A project needs a name.")
        return redirect("projects")
    name, description = form.cleaned_data["name"], form.cleaned_data["description"]
    _carry_out(
        request,
        lambda: actions.do_save_project(request.workspace, name, description, by=request.user),
        f"Project {name.strip()} created.",
    )
    return redirect("projects")


@requires(Action.VIEW)
def project_detail(request, project_id: int):
    project = get_project_for(request, project_id, Action.VIEW)
    return render(request, "workspaces/project_detail.html", {"project": project})


@requires(Action.MANAGE_CONNECTIONS)
def project_edit(request, project_id: int):
    project = get_project_for(request, project_id, Action.MANAGE_CONNECTIONS)
    initial = {"name": project.name, "description": project.description}
    form = ProjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_project(
                request.workspace,
                form.cleaned_data["name"],
                form.cleaned_data["description"],
                project=project,
                by=request.user,
            )
        except actions.ActionRefused as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, "Project saved.")
            return redirect("project_detail", project_id=project.pk)
    return render(request, "workspaces/project_edit.html", {"project": project, "form": form})


@requires(Action.MANAGE_BILLING)
def settings_page(request):
    form = WorkspaceSettingsForm(request.POST or None, initial={"name": request.workspace.name})
    if request.method == "POST" and form.is_valid():
        actions.do_rename_workspace(request.workspace, form.cleaned_data["name"], by=request.user)
        messages.success(request, "Workspace settings saved.")
        return redirect("workspace_settings")
    return render(request, "workspaces/settings.html", {"form": form})

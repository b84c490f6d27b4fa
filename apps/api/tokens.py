"""Studio pages for a member's own API tokens: list, create (raw token shown once), revoke.

Any member may hold tokens (a token can do no more than its user's current role), so the
pages need only Action.VIEW. The created token is rendered straight into the POST's
response, never through messages or the session, and that page is not cached.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apps.api.actions import MAX_EXPIRY_DAYS, do_create_api_token, do_revoke_api_token
from apps.api.models import ApiToken
from apps.workspaces.access import requires
from apps.workspaces.actions import ActionRefused
from apps.workspaces.permissions import Action


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What uses it, e.g. “CI deploy pipeline”.", required=True
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        required=False,
        help_text="Leave empty for a token that lasts until you revoke it.",
    )


def _mine(request):
    return ApiToken.objects.filter(workspace=request.workspace, user=request.user)


@never_cache
@requires(Action.VIEW)
def token_list(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = do_create_api_token(
                request.workspace,
                request.user,
                form.cleaned_data["name"],
                form.cleaned_data["expires_in_days"],
            )
        except ActionRefused as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "api/token_created.html", {"token": token, "raw": raw})
    status = 400 if form.errors else 200
    context = {"tokens": _mine(request), "form": form}
    return render(request, "api/tokens.html", context, status=status)


@require_POST
@requires(Action.VIEW)
def token_revoke(request):
    token_id = request.POST.get("token_id", "")
    if not token_id.isdigit():
        messages.error(request, "Choose a token to revoke.")
        return redirect("api_tokens")
    token = get_object_or_404(_mine(request), pk=int(token_id))
    try:
        do_revoke_api_token(token, by=request.user)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api_tokens")

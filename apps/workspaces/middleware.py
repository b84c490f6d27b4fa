"""Resolve the workspace a request's host names, or refuse.

Apex (`<base>` or `www.<base>`): the normal URL conf, no workspace.
`<slug>.<base>`: the workspace URL conf, `request.workspace` and `request.membership` set.
Anonymous visitors are sent through the apex sign-in handoff (apps.accounts.handoff)
whether the workspace exists or not, and signed-in non-members get the same 404 as for an
unknown slug, so a workspace's existence is never revealed.
Under /api/ nobody is redirected: anonymous callers and callers presenting a Bearer
token reach the API with no workspace set, and its authentication
(apps/api/auth.py) answers 401 JSON or resolves the token's workspace itself.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render

from apps.accounts.handoff import ACCEPT_PATH, HANDOFF_MARK
from apps.workspaces.hosts import apex_url, request_port, slug_from_host
from apps.workspaces.models import Membership

API_PREFIX = "/api/"


class WorkspaceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.workspace = None
        request.membership = None
        slug = slug_from_host(request.get_host())
        if slug:
            if request.path == ACCEPT_PATH and "." not in slug:
                request.urlconf = settings.WORKSPACE_URLCONF
                return self.get_response(request)
            if self._api_call_without_session(request, slug):
                request.urlconf = settings.WORKSPACE_URLCONF
                return self.get_response(request)
            self._enter_workspace(request, slug)
            if request.workspace is None:
                if request.COOKIES.get(HANDOFF_MARK):
                    return render(request, "accounts/handoff_failed.html", status=400)
                handoff = apex_url("/accounts/handoff/", request_port(request))
                query = urlencode({"next": request.build_absolute_uri()})
                return HttpResponseRedirect(f"{handoff}?{query}")
        return self.get_response(request)

    @staticmethod
    def _api_call_without_session(request, slug: str) -> bool:
        if not request.path.startswith(API_PREFIX) or "." in slug:
            return False
        scheme = request.headers.get("Authorization", "").partition(" ")[0]
        return scheme.lower() == "bearer" or not request.user.is_authenticated

    @staticmethod
    def _enter_workspace(request, slug: str) -> None:
        if "." in slug:
            raise Http404("No such workspace")
        if not request.user.is_authenticated:
            return
        membership = (
            Membership.objects.select_related("workspace")
            .filter(workspace__slug=slug, user=request.user)
            .first()
        )
        if membership is None:
            raise Http404("No such workspace")
        request.urlconf = settings.WORKSPACE_URLCONF
        request.workspace = membership.workspace
        request.membership = membership

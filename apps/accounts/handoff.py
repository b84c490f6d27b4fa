"""Views of the sign-in handoff (see models.SessionHandoff for why it exists)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render

from apps.accounts.models import SessionHandoff
from apps.workspaces.hosts import slug_from_host, split_host

ACCEPT_PATH = "/accounts/handoff/accept/"
#: Set for a few seconds by `accept`: an anonymous request that still carries it means the
#: browser dropped the session cookie, and another hop would only loop.
HANDOFF_MARK = "nublox_handoff"


def _workspace_origin(url: str) -> str | None:
    parts = urlsplit(url)
    slug = slug_from_host(parts.netloc) if parts.netloc else None
    if parts.scheme not in ("http", "https") or not slug or "." in slug:
        return None
    return f"{parts.scheme}://{parts.netloc}"


@login_required
def start(request):
    """Apex side: mint a token for the current session, send the browser to the subdomain."""
    target = request.GET.get("next", "")
    origin = _workspace_origin(target)
    if origin is None:
        return HttpResponseBadRequest("The handoff target is not a workspace address.")
    if not request.session.session_key:
        request.session.save()
    token = SessionHandoff.issue(request.user, request.session.session_key)
    return HttpResponseRedirect(
        f"{origin}{ACCEPT_PATH}?{urlencode({'token': token, 'next': target})}"
    )


def accept(request):
    """Subdomain side: adopt the handed-off session key as this host's session cookie."""
    target = request.GET.get("next", "/")
    handoff = SessionHandoff.redeem(request.GET.get("token", ""))
    here = split_host(request.get_host())[0]
    if urlsplit(target).netloc and split_host(urlsplit(target).netloc)[0] != here:
        target = "/"
    session = SessionStore(session_key=handoff.session_key) if handoff else None
    user_id = (
        session.get("_auth_user_id") if session and session.exists(session.session_key) else None
    )
    if handoff is None or str(handoff.user_id) != str(user_id):
        return render(request, "accounts/handoff_failed.html", status=400)
    response = HttpResponseRedirect(urlsplit(target)._replace(scheme="", netloc="").geturl() or "/")
    response.set_cookie(
        settings.SESSION_COOKIE_NAME,
        handoff.session_key,
        max_age=session.get_expiry_age(),
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )
    response.set_cookie(HANDOFF_MARK, "1", max_age=10, httponly=True, samesite="Lax")
    return response

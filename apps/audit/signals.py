"""Sign-ins, failed sign-ins and sign-outs go to the platform chain (no workspace).

Django's auth signals fire for allauth's forms as well as for the admin and test logins.
A failed attempt records the e-mail that was tried, never the password (Django has
already masked it in `credentials`; we take only the identifier).
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from apps.audit.log import record

IDENTIFIER_KEYS = ("email", "login", "username")


def _client(request) -> dict:
    if request is None:
        return {}
    return {
        "ip": request.META.get("REMOTE_ADDR", ""),
        "host": request.META.get("HTTP_HOST", "")[:253],
    }


def on_logged_in(sender, request, user, **kwargs):
    record(None, user, "account.sign_in", target=user, details=_client(request))


def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(None, user, "account.sign_out", target=user, details=_client(request))


def on_login_failed(sender, credentials, request=None, **kwargs):
    tried = next((str(credentials[k]) for k in IDENTIFIER_KEYS if credentials.get(k)), "")
    details = {"email": tried[:254], **_client(request)}
    record(None, None, "account.sign_in_failed", outcome="refused", details=details)


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="audit.sign_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit.sign_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit.sign_in_failed")

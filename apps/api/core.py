"""The NinjaAPI instance: /api/v1 on a workspace's subdomain, OpenAPI at
/api/v1/openapi.json, interactive docs at /api/v1/docs.

Every failure leaves here in the one error shape of apps/api/errors.py: the handlers below
translate ninja's and Django's exceptions, and anything unexpected becomes a bare 500
(logged with its traceback, never sent).
"""

from __future__ import annotations

import json
import logging
from functools import wraps
from importlib import import_module

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger

from apps.api.auth import API_AUTH, TokenAuth
from apps.api.errors import ApiError, error_body
from apps.api.routers import ROUTERS
from apps.licensing.entitlements import EntitlementMissing
from apps.workspaces.actions import ActionRefused

log = logging.getLogger(__name__)


class LocalSwagger(Swagger):
    """Swagger UI from this server's static files: the docs page fetches nothing outside."""

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings), "api": api}
        return render(request, "api/docs.html", context)


def members_only(view):
    """The schema and docs are for members (session or token), like everything else here."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if getattr(request, "membership", None) is None:
            try:
                if TokenAuth()(request) is None:
                    raise ApiError(401, "unauthenticated", UNAUTHENTICATED)
            except ApiError as exc:
                return JsonResponse(exc.body(), status=exc.status)
        return view(request, *args, **kwargs)

    return guarded


#: Parts of a validation error's location that name no field a caller sent.
SCHEMA_PARTS = ("body", "query", "path", "header", "cookie", "form", "payload")

UNAUTHENTICATED = (
    "Sign in, or send an API token as `Authorization: Bearer nbx_…` "
    "(create one under Settings → API tokens)."
)

api = NinjaAPI(
    title="NuBlox SQLx OS API",
    version="1",
    description="The Studio's services on a workspace's subdomain. See docs/api.md.",
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs=LocalSwagger(),
    docs_decorator=members_only,
    auth=API_AUTH,
)

for prefix, module in ROUTERS:
    api.add_router(prefix, import_module(module).router)

#: Mounted last, so it only sees paths no router matched: a JSON 404 instead of an HTML page.
unknown_paths = Router()


@unknown_paths.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def unknown_path(request, rest: str):
    raise ApiError(404, "not_found", "There is no such API endpoint: see /api/v1/docs.")


api.add_router("", unknown_paths)


def _reply(request, status: int, code: str, message: str, field: str | None = None):
    return api.create_response(request, error_body(code, message, field), status=status)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    response = api.create_response(request, exc.body(), status=exc.status)
    for name, value in exc.headers().items():
        response[name] = value
    return response


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in SCHEMA_PARTS]
    field = loc[-1] if loc else None
    message = first.get("msg", "The request is not valid.")
    named = f"{'.'.join(loc)}: {message}" if loc else message
    return _reply(request, 400, "invalid", named, field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _reply(request, 401, "unauthenticated", UNAUTHENTICATED)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _reply(request, 404, "not_found", "There is no such object in this workspace.")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _reply(request, 403, "forbidden", str(exc) or "Your role does not allow this.")


@api.exception_handler(EntitlementMissing)
def _entitlement(request, exc):
    return _reply(request, 403, "entitlement_missing", str(exc))


@api.exception_handler(ActionRefused)
def _refused(request, exc: ActionRefused):
    return _reply(request, 409 if exc.conflict else 400, exc.code, str(exc))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 403 and "CSRF" in str(exc):
        message = "CSRF check failed: send the X-CSRFToken header with session calls."
        return _reply(request, 403, "csrf_failed", message)
    if exc.status_code == 400:  # e.g. a body that is not JSON
        message = f"{exc}: send a JSON body with Content-Type: application/json."
        return _reply(request, 400, "invalid", message)
    return _reply(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("API %s %s failed", request.method, request.path)
    return _reply(request, 500, "server_error", "The server failed; the error has been logged.")

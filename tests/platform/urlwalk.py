"""Walk the workspace URL conf so tests cover every workspace page, present and future."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

#: Views that are not workspace pages: allauth's account screens and the sign-in handoff.
NOT_WORKSPACE_PAGES = ("allauth.", "apps.accounts.handoff")
#: The REST API: tests/api/test_isolation.py walks its operations from the OpenAPI document,
#: with the API's own status codes.
API_PREFIX = "api/v1/"


def workspace_patterns() -> list[tuple[str, URLPattern]]:
    """(route, pattern) for every workspace page, with nested includes flattened."""
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if prefix + str(p.pattern) != API_PREFIX:
                    walk(p.url_patterns, prefix + str(p.pattern))
            elif not p.callback.__module__.startswith(NOT_WORKSPACE_PAGES):
                found.append((prefix + str(p.pattern), p))

    walk(get_resolver("nublox.urls_workspace").url_patterns, "")
    return found


def fill(route: str, pattern: URLPattern, ids: dict[str, int]) -> str:
    """Turn 'members/<int:member_id>/role/' into '/members/7/role/' from `ids`."""
    path = route
    for name in pattern.pattern.converters:
        kind = type(pattern.pattern.converters[name]).__name__.replace("Converter", "").lower()
        path = path.replace(f"<{kind}:{name}>", str(ids[name])).replace(f"<{name}>", str(ids[name]))
    return "/" + path

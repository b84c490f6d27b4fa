"""Mapping between hosts and workspaces: `<slug>.<NUBLOX_BASE_DOMAIN>[:port]`."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def split_host(host: str) -> tuple[str, str]:
    """'acme.localhost:8000' -> ('acme.localhost', '8000'); IPv6 literals are kept whole."""
    host = host.lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1], host[end + 2 :] if end + 1 < len(host) else ""
    name, _, port = host.partition(":")
    return name, port


def slug_from_host(host: str) -> str | None:
    """The workspace slug a host names, '' for the apex, None for a foreign host."""
    name, _ = split_host(host)
    base = settings.BASE_DOMAIN.lower()
    if name in (base, f"www.{base}"):
        return ""
    suffix = f".{base}"
    if name.endswith(suffix):
        return name[: -len(suffix)]
    return None


def request_port(request: HttpRequest) -> str:
    return split_host(request.get_host())[1]


def _origin(name: str, port: str) -> str:
    return f"{settings.PUBLIC_SCHEME}://{name}{':' + port if port else ''}"


def workspace_url(slug: str, path: str = "/", port: str = "") -> str:
    return _origin(f"{slug}.{settings.BASE_DOMAIN}", port) + path


def apex_url(path: str = "/", port: str = "") -> str:
    return _origin(settings.BASE_DOMAIN, port) + path

"""Rules for workspace slugs, which become subdomains."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

RESERVED = frozenset(
    [
        "www",
        "api",
        "admin",
        "static",
        "media",
        "app",
        "apps",
        "mail",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "ns",
        "ns1",
        "ns2",
        "dns",
        "mx",
        "help",
        "support",
        "docs",
        "status",
        "blog",
        "assets",
        "cdn",
        "auth",
        "login",
        "logout",
        "signup",
        "account",
        "accounts",
        "dashboard",
        "billing",
        "internal",
        "root",
        "system",
        "test",
        "dev",
        "staging",
        "prod",
        "production",
        "localhost",
        "nublox",
        "sqlx",
        "studio",
        "ws",
        "websocket",
        "demo-admin",
    ]
)


def validate_slug(value: str) -> None:
    if not SLUG_RE.match(value or ""):
        raise ValidationError(
            "Use 1 to 63 lowercase letters, digits and hyphens, starting and ending with a "
            "letter or digit.",
            code="invalid_slug",
        )
    if "--" in value:
        raise ValidationError("Two hyphens in a row are not allowed.", code="invalid_slug")
    if value in RESERVED:
        raise ValidationError(
            f"“{value}” is reserved; please choose another name.", code="reserved_slug"
        )

"""Typed readers for environment variables, so a typo stops start-up with a clear message.

Every variable the platform reads goes through these helpers, which record its name in
KNOWN. `check_unknown()` then refuses any NUBLOX_* variable nobody reads (a misspelt
NUBLOX_BASE_DOMIAN would otherwise be ignored silently).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

KNOWN: dict[str, str] = {}


def _raw(name: str, doc: str) -> str | None:
    KNOWN[name] = doc
    value = os.environ.get(name)
    file_path = os.environ.get(f"{name}_FILE")
    KNOWN[f"{name}_FILE"] = f"path of a file holding {name} (mounted secrets)"
    if value is None and file_path:
        try:
            value = Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path}: cannot read ({exc})") from exc
    return value


def string(name: str, default: str, doc: str = "") -> str:
    value = _raw(name, doc)
    return default if value is None or value == "" else value


def optional(name: str, doc: str = "") -> str | None:
    value = _raw(name, doc)
    return value or None


def boolean(name: str, default: bool, doc: str = "") -> bool:
    value = _raw(name, doc)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected true/false (or 1/0, yes/no, on/off)")


def integer(name: str, default: int, doc: str = "") -> int:
    value = _raw(name, doc)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number") from None


def choice(name: str, default: str, choices: tuple[str, ...], doc: str = "") -> str:
    value = string(name, default, doc)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def listing(name: str, default: list[str], doc: str = "") -> list[str]:
    value = _raw(name, doc)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str, base_dir: Path) -> dict:
    """DATABASE_URL -> a Django DATABASES entry (postgresql:// or sqlite:///path)."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("/") and not url.startswith("sqlite:////"):
            path = path[1:]
        name = Path(path) if Path(path).is_absolute() else base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(name),
            # WAL: the web server, the Celery worker and long readers (an audit export)
            # share one file; readers then never block the writer or each other.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL",
            },
        }
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "nublox",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported: use postgresql:// or sqlite:///"
    )


def check_unknown(prefix: str = "NUBLOX_") -> None:
    unknown = sorted(
        k
        for k in os.environ
        if k.startswith(prefix) and k not in KNOWN and not k.startswith("NUBLOX_TEST_")
    )
    if not unknown:
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, KNOWN, n=1)
        hints.append(f"{name}" + (f" (did you mean {close[0]}?)" if close else ""))
    raise ImproperlyConfigured(
        "Unknown environment variable(s): " + ", ".join(hints) + ". See README 'Configuration'."
    )

"""Connection URLs -> `ConnectConfig`, and masking them for display.

The URL is the unit of exchange between the Studio, the CLI and the engine
(`postgresql://user:pass@host:port/db?sslmode=verify-full`, `mysql://...`,
`sqlite:///relative.db`; `sslpin=AB:CD:...` pins the server certificate's SHA-256).
Everything that differs between families is read from the registry
(`transports/registry.json`) and the pack it points to: the default port, whether the URL
path names a database or a file, which extra query keys the pack understands.
This module only knows URL syntax and a family-neutral table of query keys, so a new family
needs a registry entry, not a code change.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import fields as dataclass_fields
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from engine.config import ConnectConfig
from engine.errors import ConfigError
from engine.secret import Secret

PASSWORD_ENV = "SQLX_PASSWORD"


def _as_bool(key: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"URL option {key!r} must be true or false, not {raw!r}")


def _as_seconds(key: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"URL option {key!r} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"URL option {key!r} must be positive, not {raw!r}")
    return value


def _as_text(key: str, raw: str) -> str:
    return raw


# The spellings people bring from libpq, MySQL Connector and JDBC-style URLs all mean the
# same ConnectConfig field; every family accepts every spelling (no per-family branches).
SSLMODE_ALIASES = {
    "disabled": "disable",
    "preferred": "prefer",
    "required": "require",
    "verify_ca": "verify-ca",
    "verify_identity": "verify-full",
    "verify-identity": "verify-full",
    "verify_full": "verify-full",
}


def _as_sslmode(key: str, raw: str) -> str:
    value = raw.strip().lower()
    return SSLMODE_ALIASES.get(value, value)


def _as_channel_binding(key: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("disable", "prefer", "require"):
        raise ConfigError(f"URL option {key!r} must be disable, prefer or require, not {raw!r}")
    return value


#: query key -> (ConnectConfig field, converter)
QUERY_KEYS: dict[str, tuple[str, Any]] = {
    "sslmode": ("sslmode", _as_sslmode),
    "ssl-mode": ("sslmode", _as_sslmode),
    "ssl_mode": ("sslmode", _as_sslmode),
    "sslrootcert": ("sslrootcert", _as_text),
    "ssl-ca": ("sslrootcert", _as_text),
    "ssl_ca": ("sslrootcert", _as_text),
    "sslca": ("sslrootcert", _as_text),
    "sslcert": ("sslcert", _as_text),
    "ssl-cert": ("sslcert", _as_text),
    "ssl_cert": ("sslcert", _as_text),
    "sslkey": ("sslkey", _as_text),
    "ssl-key": ("sslkey", _as_text),
    "ssl_key": ("sslkey", _as_text),
    "sslpin": ("sslpin", _as_text),
    "ssl-pin": ("sslpin", _as_text),
    "ssl_pin": ("sslpin", _as_text),
    "channel_binding": ("channel_binding", _as_channel_binding),
    "connect_timeout": ("connect_timeout", _as_seconds),
    "connect-timeout": ("connect_timeout", _as_seconds),
    "read_timeout": ("read_timeout", _as_seconds),
    "read-timeout": ("read_timeout", _as_seconds),
    "application_name": ("application_name", _as_text),
    "allow_cleartext": ("allow_cleartext", _as_bool),
    "allow_public_key_retrieval": ("allow_public_key_retrieval", _as_bool),
    "allowpublickeyretrieval": ("allow_public_key_retrieval", _as_bool),
    "server_public_key": ("server_public_key", _as_text),
    "user": ("user", _as_text),
    "password": ("password", _as_text),
    "dbname": ("database", _as_text),
    "database": ("database", _as_text),
    # A unix socket: a directory (the pack's session.unix_socket_name is appended) or a file.
    "host": ("host", _as_text),
    "unix_socket": ("path", _as_text),
    "socket": ("path", _as_text),
}

_CONFIG_FIELDS = frozenset(f.name for f in dataclass_fields(ConnectConfig)) - {"scheme"}


# --- the registry: which schemes exist and what their packs say -------------------------


def _registry_root() -> Any:
    """Where registry.json and the packs live (a Traversable; tests may point elsewhere)."""
    return resources.files("transports")


@functools.lru_cache(maxsize=64)
def _read_json(root: Any, name: str) -> dict[str, Any]:
    node = root / name
    try:
        return json.loads(node.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"transports/{name} is missing") from None
    except ValueError as exc:
        raise ConfigError(f"transports/{name} is not valid JSON: {exc}") from None


def registry() -> dict[str, Any]:
    return _read_json(_registry_root(), "registry.json").get("schemes", {})


def registry_entry(scheme: str) -> dict[str, Any]:
    """The registry entry for a URL scheme, or ConfigError listing the known schemes."""
    schemes = registry()
    entry = schemes.get(scheme.lower())
    if entry is None:
        known = ", ".join(sorted(schemes)) or "none"
        raise ConfigError(f"unknown URL scheme {scheme!r} (known: {known})")
    return entry


def pack_document(scheme: str) -> dict[str, Any]:
    """The raw JSON of the pack a scheme uses (not compiled: url parsing needs only data)."""
    entry = registry_entry(scheme)
    pack = entry.get("pack")
    return _read_json(_registry_root(), pack) if pack else {}


def scheme_session(scheme: str) -> dict[str, Any]:
    """The pack's "session" section, overlaid by the registry entry's own "session"."""
    merged = dict(pack_document(scheme).get("session") or {})
    merged.update(registry_entry(scheme).get("session") or {})
    return merged


# --- parsing ----------------------------------------------------------------------------


def parse_url(url: str, **overrides: Any) -> ConnectConfig:
    """Parse a connection URL. `overrides` are ConnectConfig field names and win over the
    URL, except the password: URL first, then `password=`, then $SQLX_PASSWORD."""
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError("a connection URL looks like scheme://user:password@host:port/db")
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError as exc:
        raise ConfigError(f"malformed URL: {_strip_password(str(exc))}") from None
    scheme = parts.scheme.lower()
    session = scheme_session(scheme)
    values: dict[str, Any] = {}

    if session.get("url_path") == "file":
        if parts.netloc:
            raise ConfigError(
                f"{scheme}:// URLs name a file, not a host: use {scheme}:///relative.db "
                f"or {scheme}:////absolute/path.db"
            )
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ConfigError(f"{scheme}:// URL has no file path")
        values["path"] = path
    else:
        if hostname:
            values["host"] = hostname
        if port is not None:
            values["port"] = port
        if parts.username:
            values["user"] = unquote(parts.username)
        database = unquote(parts.path.lstrip("/"))
        if database:
            values["database"] = database

    url_password = unquote(parts.password) if parts.password is not None else None
    query_password = None
    extra_keys = set(session.get("query_keys") or ())
    options: dict[str, Any] = {}
    for key, raw in parse_qsl(parts.query, keep_blank_values=True):
        if key in QUERY_KEYS:
            field, convert = QUERY_KEYS[key]
            value = convert(key, raw)
            if field == "password":
                query_password = value
                continue
            if field == "host" and value.startswith("/"):
                field = "path"  # libpq style: host=/run/postgresql names a socket directory
            values[field] = value
        elif key in extra_keys:
            options[key] = raw
        else:
            allowed = sorted(set(QUERY_KEYS) | extra_keys)
            raise ConfigError(
                f"unknown URL option {key!r} for {scheme}:// (accepted: {', '.join(allowed)})"
            )

    unknown = set(overrides) - _CONFIG_FIELDS
    if unknown:
        raise ConfigError(f"unknown connect option(s): {', '.join(sorted(unknown))}")
    override_password = overrides.pop("password", None)
    if "options" in overrides:
        options.update(overrides.pop("options") or {})
    values.update(overrides)

    password = _first_password(url_password, query_password, override_password)
    if password is not None:
        values["password"] = password if isinstance(password, Secret) else Secret(password)
    if session.get("url_path") != "file":
        if values.get("port") is None and session.get("default_port"):
            values["port"] = int(session["default_port"])
        if not values.get("host") and not values.get("path"):
            values["host"] = "localhost"
    if options:
        values["options"] = options
    try:
        return ConnectConfig(scheme=scheme, **values)
    except TypeError as exc:
        raise ConfigError(f"bad connect option: {exc}") from None


def _first_password(*candidates: Any) -> Any:
    for candidate in candidates:
        if candidate is not None and candidate != "":
            return candidate
    env = os.environ.get(PASSWORD_ENV)
    return env if env else None


def socket_path(cfg: ConnectConfig, session: dict[str, Any]) -> str | None:
    """The unix socket file to dial, or None for TCP. A directory gets the pack's
    `unix_socket_name` template appended (e.g. "{dir}/.s.<name>.{port}")."""
    if not cfg.path or session.get("url_path") == "file":
        return None
    if os.path.isdir(cfg.path):
        template = session.get("unix_socket_name")
        if not template:
            raise ConfigError(f"{cfg.path} is a directory; give the socket file itself")
        return str(Path(cfg.path) / template.format(port=cfg.port or ""))
    return cfg.path


# --- display ----------------------------------------------------------------------------

_USERINFO = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/?#@]*?:)(?P<pw>[^/?#]*)@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """The URL with any password replaced by ****; never raises."""
    if not isinstance(url, str):
        return "<not a URL>"
    masked = url
    if "@" in masked:
        scheme, sep, rest = masked.partition("://")
        if sep:
            netloc_end = len(rest)
            for stop in "/?#":
                idx = rest.find(stop, rest.rfind("@") if "@" in rest else 0)
                if idx != -1:
                    netloc_end = min(netloc_end, idx)
            netloc, tail = rest[:netloc_end], rest[netloc_end:]
            userinfo, at, hostport = netloc.rpartition("@")
            if at and ":" in userinfo:
                user = userinfo.split(":", 1)[0]
                masked = f"{scheme}://{user}:****@{hostport}{tail}"
    return _QUERY_PASSWORD.sub(r"\1****", masked)


def _strip_password(text: str) -> str:
    return _USERINFO.sub(lambda m: m.group("head") + "****@", text)

"""Every write to connections and their policies happens here, audited in the same
transaction.

A password goes from the caller straight to `apps.secrets.store` and is kept nowhere else:
not in the URL (refused), not in a model field, not in an audit detail, not in a message.
`test_connection` (apps/connections/diagnose.py) is re-exported here: it writes nothing but
its audit event, and callers look for connection operations in this module.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.log import record
from apps.connections.addresses import describe_url
from apps.connections.diagnose import TestOutcome, test_connection  # noqa: F401 (re-exported)
from apps.connections.models import Connection, ConnectionPolicy
from apps.secrets import store
from apps.secrets.errors import SecretUnavailable
from apps.workspaces.actions import ActionRefused
from engine.config import normalize_pin
from engine.errors import ConfigError

PASSWORD_QUERY_KEYS = frozenset({"password"})
UNSET = object()


def _check_url(url: str) -> str:
    """The URL, stripped, if it is one the engine accepts and it carries no password."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None or any(
            key.lower() in PASSWORD_QUERY_KEYS for key, _ in parse_qsl(parts.query)
        )
    except ValueError:
        raise ActionRefused("That is not a connection URL (scheme://user@host:port/db).") from None
    if has_password:
        raise ActionRefused(
            "Put the password in the password field, not in the URL: it is kept in the "
            "secret store, and the URL is shown on pages."
        )
    try:
        describe_url(url)
    except ConfigError as exc:
        raise ActionRefused(f"That URL cannot be used: {exc}") from None
    return url


def _check_owned(workspace, obj, what: str) -> None:
    if obj is not None and obj.workspace_id != workspace.pk:
        raise ActionRefused(f"That {what} belongs to another workspace.")


def _secret_purpose(name: str) -> str:
    return f"password of connection “{name}”"


def do_create_connection(
    workspace, user, name: str, url: str, password: str | None = None, policy=None, project=None
) -> Connection:
    name = (name or "").strip()
    if not name:
        raise ActionRefused("Give the connection a name.")
    url = _check_url(url)
    _check_owned(workspace, policy, "policy")
    _check_owned(workspace, project, "project")
    try:
        with transaction.atomic():
            connection = Connection(
                workspace=workspace,
                project=project,
                name=name,
                url=url,
                policy=policy or ConnectionPolicy.objects.default_for(workspace),
                created_by=user,
            )
            connection.save()
            if password:
                connection.secret = store.put(workspace, _secret_purpose(name), password)
                connection.save(update_fields=["secret"])
            details = {
                "url": url,
                "policy": connection.policy.name,
                "password_stored": bool(password),
            }
            record(workspace, user, "connection.create", target=connection, details=details)
    except IntegrityError:
        raise ActionRefused(f"A connection named “{name}” already exists.") from None
    except SecretUnavailable as exc:
        raise ActionRefused(f"The password could not be stored: {exc}") from None
    return connection


def do_register_connection(workspace, user, name: str, url: str, project=None) -> Connection:
    """A connection without a password (files, passwordless servers): the first cut's name."""
    return do_create_connection(workspace, user, name, url, project=project)


def do_update_connection(
    connection: Connection,
    user,
    *,
    name: str | None = None,
    url: str | None = None,
    password: str | None = None,
    clear_password: bool = False,
    policy=None,
    project=UNSET,
) -> Connection:
    """Change what is given. A new password replaces the stored secret in place; the audit
    event lists which fields changed (the password only as "password")."""
    workspace = connection.workspace
    changed: list[str] = []
    if name is not None and name.strip() != connection.name:
        if not name.strip():
            raise ActionRefused("Give the connection a name.")
        connection.name = name.strip()
        changed.append("name")
    if url is not None and url.strip() != connection.url:
        connection.url = _check_url(url)
        changed.append("url")
    if policy is not None and policy.pk != connection.policy_id:
        _check_owned(workspace, policy, "policy")
        connection.policy = policy
        changed.append("policy")
    if project is not UNSET and getattr(project, "pk", None) != connection.project_id:
        _check_owned(workspace, project, "project")
        connection.project = project
        changed.append("project")
    old_secret = None
    try:
        with transaction.atomic():
            if password:
                if connection.secret is not None:
                    store.replace(connection.secret, password)
                else:
                    connection.secret = store.put(
                        workspace, _secret_purpose(connection.name), password
                    )
                changed.append("password")
            elif clear_password and connection.secret is not None:
                old_secret, connection.secret = connection.secret, None
                changed.append("password")
            if not changed:
                return connection
            with transaction.atomic():
                connection.save()
            if old_secret is not None:
                store.delete(old_secret)
            details = {"changed": changed, "url": connection.url}
            record(workspace, user, "connection.update", target=connection, details=details)
    except IntegrityError:
        raise ActionRefused(f"A connection named “{connection.name}” already exists.") from None
    except SecretUnavailable as exc:
        raise ActionRefused(f"The password could not be stored: {exc}") from None
    return connection


def do_delete_connection(connection: Connection, user) -> None:
    """Remove the connection, its learned databases and its stored password."""
    workspace, secret = connection.workspace, connection.secret
    details = {"url": connection.url, "databases": connection.databases.count()}
    try:
        with transaction.atomic():
            record(workspace, user, "connection.delete", target=connection, details=details)
            connection.delete()
            if secret is not None:
                store.delete(secret)
    except SecretUnavailable as exc:
        raise ActionRefused(f"The stored password could not be removed: {exc}") from None


# --- policies ---------------------------------------------------------------------------

POLICY_FIELDS = (
    "require_tls_remote",
    "allow_plaintext_loopback",
    "ca_file",
    "pinned_sha256",
    "connect_timeout_s",
    "statement_timeout_s",
    "max_sessions",
)
#: field -> (smallest, largest) accepted value
POLICY_LIMITS = {
    "connect_timeout_s": (1, 600),
    "statement_timeout_s": (1, 86_400),
    "max_sessions": (1, 1000),
}


def _clean_policy_fields(fields: dict) -> dict:
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise ActionRefused(f"Unknown policy setting(s): {', '.join(sorted(unknown))}.")
    clean = dict(fields)
    for key, (low, high) in POLICY_LIMITS.items():
        if key in clean and not (low <= int(clean[key]) <= high):
            raise ActionRefused(f"{key.replace('_', ' ')} must be between {low} and {high}.")
    if clean.get("pinned_sha256"):
        try:
            clean["pinned_sha256"] = normalize_pin(clean["pinned_sha256"])
        except ConfigError as exc:
            raise ActionRefused(str(exc)) from None
    if clean.get("ca_file"):
        clean["ca_file"] = str(clean["ca_file"]).strip()
        if not Path(clean["ca_file"]).is_file():
            raise ActionRefused(
                f"There is no CA file at {clean['ca_file']} on the platform's machine."
            )
    return clean


def do_save_policy(workspace, user, name: str, *, policy=None, **fields) -> ConnectionPolicy:
    """Create a policy (policy=None) or change one; `fields` are ConnectionPolicy fields."""
    name = (name or "").strip()
    if not name:
        raise ActionRefused("Give the policy a name.")
    _check_owned(workspace, policy, "policy")
    clean = _clean_policy_fields(fields)
    target = policy or ConnectionPolicy(workspace=workspace)
    target.name = name
    for key, value in clean.items():
        setattr(target, key, value)
    target.updated_at = timezone.now()
    try:
        with transaction.atomic():
            with transaction.atomic():
                target.save()
            details = {"name": name, **{k: getattr(target, k) for k in POLICY_FIELDS}}
            record(workspace, user, "policy.save", target=target, details=details)
    except IntegrityError:
        raise ActionRefused(f"A policy named “{name}” already exists.") from None
    return target


# --- long work on a connection: runs ----------------------------------------------------------

MAX_DATABASE_NAME = 200  # DatabaseSchema.name
MAX_LABEL = 200  # Snapshot.label


#: run kinds that read a connection's schemas and store what they learned: one at a time
LEARNING_KINDS = ("learn", "snapshot")


def _refuse_while_learning(connection: Connection) -> None:
    """Two learns of one connection would race to store its schemas (and double the load
    on the server for nothing): the second is refused while the first is open. A run whose
    worker died is closed first (stale heartbeat), so it never blocks for good."""
    from apps.jobs.actions import reap_stale_runs
    from apps.jobs.models import Run

    reap_stale_runs(connection.workspace)
    busy = (
        Run.objects.filter(
            workspace=connection.workspace,
            target_type=Connection._meta.label,
            target_id=str(connection.pk),
            kind__in=LEARNING_KINDS,
            state__in=Run.OPEN,
        )
        .order_by("pk")
        .first()
    )
    if busy is not None:
        raise ActionRefused(
            f"A {busy.kind} of this connection is already {busy.state} (run {busy.pk}): wait "
            "for it to finish, or cancel it, before starting another.",
            code="run_in_progress",
            conflict=True,
        )


def do_start_learn(connection: Connection, user, databases=()):
    """Queue a learn of the server and all its databases, or just `databases` (names,
    duplicates and blanks dropped): the Studio's "Learn now" and the API's learn."""
    from apps.jobs.actions import do_start_run

    names = list(dict.fromkeys(n.strip() for n in databases if n and n.strip()))
    if bad := [n for n in names if len(n) > MAX_DATABASE_NAME or not n.isprintable()]:
        raise ActionRefused(f"Not a database name: {bad[0][:MAX_DATABASE_NAME]!r}.")
    _refuse_while_learning(connection)
    return do_start_run(
        connection.workspace,
        user,
        "learn",
        target=connection,
        params={"databases": names} if names else {},
        task="nublox.jobs.learn",
    )


def do_start_snapshot(database, user, label: str = ""):
    """Queue a learn of one database that keeps a labelled snapshot of it."""
    from apps.jobs.actions import do_start_run

    connection = database.connection
    _refuse_while_learning(connection)
    return do_start_run(
        connection.workspace,
        user,
        "snapshot",
        target=connection,
        params={"database": database.name, "label": " ".join(label.split())[:MAX_LABEL]},
        task="nublox.jobs.snapshot",
    )


def do_start_test(connection: Connection, user):
    """Queue "test connection" as a run (the page runs it inline, scripts poll the run)."""
    from apps.jobs.actions import do_start_run

    return do_start_run(
        connection.workspace,
        user,
        "test_connection",
        target=connection,
        task="nublox.jobs.test_connection",
    )

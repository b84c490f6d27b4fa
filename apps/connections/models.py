"""Connections of a workspace: policies, servers, and the databases learned on them.

A `Connection` is a server (host:port:user): what the Studio tree shows at the top, with
its `DatabaseSchema` children below. Its URL never carries a password (the actions refuse
one): the password lives behind `secret`, a SecretRef. host, port, username and family are
read from the URL on every save, so they are columns to query and show, never a second
truth that could disagree with it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.connections.addresses import describe_url
from engine.errors import ConfigError

DEFAULT_POLICY_NAME = "Default"


class PolicyQuerySet(models.QuerySet):
    def default_for(self, workspace) -> ConnectionPolicy:
        """The workspace's default policy, made the first time something asks for it."""
        policy, _ = self.get_or_create(workspace=workspace, name=DEFAULT_POLICY_NAME)
        return policy


class ConnectionPolicy(models.Model):
    """How the platform may talk to a server. Enforced by apps.connections.policy before
    any byte is sent; the fields map one to one onto engine connect options."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="connection_policies"
    )
    name = models.CharField(max_length=100)
    require_tls_remote = models.BooleanField(
        default=True, help_text="servers that are not on this machine must speak TLS"
    )
    allow_plaintext_loopback = models.BooleanField(
        default=True, help_text="servers on this machine (127.0.0.0/8, ::1, sockets) may not"
    )
    ca_file = models.CharField(
        max_length=500, blank=True, help_text="PEM file of the CA that signs the servers"
    )
    pinned_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the server certificate (hex)"
    )
    connect_timeout_s = models.PositiveIntegerField(default=10)
    statement_timeout_s = models.PositiveIntegerField(default=60)
    max_sessions = models.PositiveIntegerField(default=5)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_policy_name")
        ]
        ordering = ["name"]
        verbose_name_plural = "connection policies"

    def __str__(self) -> str:
        return self.name


class Connection(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "Not learned yet"
        LEARNING = "learning", "Learning"
        OK = "ok", "Healthy"
        FAILING = "failing", "Failing"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="connections"
    )
    project = models.ForeignKey(
        "workspaces.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="connections",
    )
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=500, help_text="Connection URL without password")
    family = models.CharField(max_length=40, blank=True)
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    username = models.CharField(max_length=200, blank=True)
    # RESTRICT: a secret in use cannot be deleted on its own, but a workspace's deletion
    # takes both away together.
    secret = models.ForeignKey(
        "secrets.SecretRef",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="connections",
    )
    policy = models.ForeignKey(
        ConnectionPolicy, on_delete=models.RESTRICT, related_name="connections"
    )
    capability_json = models.JSONField(default=dict, blank=True)
    server_fingerprint = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    last_error = models.TextField(blank=True, help_text="what went wrong, in words for a person")
    last_learned_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_connection_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        try:
            address = describe_url(self.url)
        except ConfigError:  # the actions refuse such URLs; rows from before may hold one
            address = None
        self.family, self.host = (address.family, address.host) if address else ("", "")
        self.port, self.username = (address.port, address.username) if address else (None, "")
        if self.policy_id is None:
            self.policy = ConnectionPolicy.objects.default_for(self.workspace)
        self.updated_at = timezone.now()
        if kwargs.get("update_fields") is not None:
            derived = {"family", "host", "port", "username", "policy", "updated_at"}
            kwargs["update_fields"] = set(kwargs["update_fields"]) | derived
        super().save(*args, **kwargs)

    @property
    def address(self) -> str:
        """host:port for servers, the path for file databases (what messages name)."""
        try:
            return describe_url(self.url).where
        except ConfigError:
            return self.url


class DatabaseSchema(models.Model):
    """One database on a server and its schema as last learned (`latest`). The schema
    itself lives in a `Snapshot` row, so listing databases never reads its JSON."""

    class Status(models.TextChoices):
        OK = "ok", "Learned"
        FAILING = "failing", "Failing"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="databases")
    name = models.CharField(max_length=200)
    latest = models.ForeignKey(
        "connections.Snapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    profile_hash = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OK)
    learned_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "name"], name="unique_schema_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def snapshot(self):
        """The latest learned schema as an `engine.ir` Snapshot (for the planner)."""
        return self.latest.ir() if self.latest_id else None


class Snapshot(models.Model):
    """A schema at one moment, byte for byte what `engine.ir.dumps` wrote (so anyone can
    re-check `profile_hash`). Rows are never changed once written: databases keep their
    history here, plans point at the two schemas they were computed between, and pages
    cache a parsed snapshot by its id for ever."""

    class Origin(models.TextChoices):
        LEARN = "learn", "Learned"
        MANUAL = "manual", "Taken on request"
        PLAN = "plan", "Computed for a plan"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="snapshots"
    )
    database = models.ForeignKey(
        DatabaseSchema,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="snapshots",
        help_text="the database it was learned from (none for desired-state schemas)",
    )
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.LEARN)
    label = models.CharField(max_length=200, blank=True)
    profile_hash = models.CharField(max_length=100, db_index=True)
    size = models.PositiveIntegerField(default=0, help_text="length of the JSON text")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Last, so that SQLite reads every other column without walking this text's overflow
    # pages (a 1,000-table schema is megabytes).
    profile_json = models.TextField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["database", "-created_at"])]

    def __str__(self) -> str:
        where = self.database.name if self.database_id else self.get_origin_display()
        return f"snapshot #{self.pk} of {where} ({self.profile_hash[:12]})"

    def ir(self):
        from engine import ir

        return ir.loads(self.profile_json, trusted=True)


class SessionLease(models.Model):
    """One open engine session on a connection, so `max_sessions` holds across processes.
    A lease whose holder died is ignored once `expires_at` passes."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="leases")
    holder = models.CharField(max_length=200, help_text="host:pid of the process")
    acquired_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"lease #{self.pk} on connection {self.connection_id} by {self.holder}"

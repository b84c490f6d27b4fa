"""Issue #6: policies, server-level connections with a secret, databases, session leases.

Existing connections (the demo's SQLite file, anything registered before) are carried over:
each workspace that has one gets its default policy, and host/port/user/family are read
from the stored URL, exactly as `Connection.save()` does from now on.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

DEFAULT_POLICY_NAME = "Default"  # apps.connections.models.DEFAULT_POLICY_NAME, frozen here


def carry_over(apps, schema_editor):
    from apps.connections.addresses import describe_url
    from engine.errors import ConfigError

    Connection = apps.get_model("connections", "Connection")
    Policy = apps.get_model("connections", "ConnectionPolicy")
    defaults: dict[int, int] = {}
    for conn in Connection.objects.all().order_by("pk"):
        if conn.workspace_id not in defaults:
            policy, _ = Policy.objects.get_or_create(
                workspace_id=conn.workspace_id, name=DEFAULT_POLICY_NAME
            )
            defaults[conn.workspace_id] = policy.pk
        conn.policy_id = defaults[conn.workspace_id]
        try:
            address = describe_url(conn.url)
        except ConfigError:
            pass  # an unreadable URL keeps empty columns; the Studio shows the URL as is
        else:
            conn.family, conn.host = address.family, address.host
            conn.port, conn.username = address.port, address.username
        conn.save()


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial"),
        ("secrets", "0001_initial"),
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConnectionPolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                (
                    "require_tls_remote",
                    models.BooleanField(
                        default=True,
                        help_text="servers that are not on this machine must speak TLS",
                    ),
                ),
                (
                    "allow_plaintext_loopback",
                    models.BooleanField(
                        default=True,
                        help_text="servers on this machine (127.0.0.0/8, ::1, sockets) may not",
                    ),
                ),
                (
                    "ca_file",
                    models.CharField(
                        blank=True,
                        help_text="PEM file of the CA that signs the servers",
                        max_length=500,
                    ),
                ),
                (
                    "pinned_sha256",
                    models.CharField(
                        blank=True,
                        help_text="SHA-256 of the server certificate (hex)",
                        max_length=64,
                    ),
                ),
                ("connect_timeout_s", models.PositiveIntegerField(default=10)),
                ("statement_timeout_s", models.PositiveIntegerField(default=60)),
                ("max_sessions", models.PositiveIntegerField(default=5)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="connection_policies",
                        to="workspaces.workspace",
                    ),
                ),
            ],
            options={"verbose_name_plural": "connection policies", "ordering": ["name"]},
        ),
        migrations.AddConstraint(
            model_name="connectionpolicy",
            constraint=models.UniqueConstraint(
                fields=("workspace", "name"), name="unique_policy_name"
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="policy",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="connections",
                to="connections.connectionpolicy",
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="family",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="connection",
            name="host",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="connection",
            name="port",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="connection",
            name="username",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="connection",
            name="secret",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="connections",
                to="secrets.secretref",
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="capability_json",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="connection",
            name="server_fingerprint",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="connection",
            name="last_error",
            field=models.TextField(
                blank=True, help_text="what went wrong, in words for a person"
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="updated_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="connection",
            name="status",
            field=models.CharField(
                choices=[
                    ("new", "Not learned yet"),
                    ("learning", "Learning"),
                    ("ok", "Healthy"),
                    ("failing", "Failing"),
                ],
                default="new",
                max_length=20,
            ),
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="connection",
            name="policy",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="connections",
                to="connections.connectionpolicy",
            ),
        ),
        migrations.CreateModel(
            name="DatabaseSchema",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("profile_json", models.TextField(blank=True)),
                ("profile_hash", models.CharField(blank=True, max_length=100)),
                (
                    "status",
                    models.CharField(
                        choices=[("ok", "Learned"), ("failing", "Failing")],
                        default="ok",
                        max_length=20,
                    ),
                ),
                ("learned_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
                (
                    "connection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="databases",
                        to="connections.connection",
                    ),
                ),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.AddConstraint(
            model_name="databaseschema",
            constraint=models.UniqueConstraint(
                fields=("connection", "name"), name="unique_schema_name"
            ),
        ),
        migrations.CreateModel(
            name="SessionLease",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("holder", models.CharField(help_text="host:pid of the process", max_length=200)),
                ("acquired_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField(db_index=True)),
                (
                    "connection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="leases",
                        to="connections.connection",
                    ),
                ),
            ],
        ),
    ]

from django.contrib import admin

from apps.connections.models import Connection, ConnectionPolicy, DatabaseSchema


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "family", "host", "port", "status", "last_learned_at"]
    # Writes go through apps.connections.actions (secrets and audit); admin only looks.
    readonly_fields = ["secret", "capability_json", "server_fingerprint"]


@admin.register(ConnectionPolicy)
class ConnectionPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "require_tls_remote", "max_sessions"]


@admin.register(DatabaseSchema)
class DatabaseSchemaAdmin(admin.ModelAdmin):
    list_display = ["name", "connection", "status", "profile_hash", "learned_at"]
    raw_id_fields = ["latest"]

"""What the audit tests share: editing the table behind the code's back."""

from __future__ import annotations

from django.db import connection

TABLE = "audit_auditevent"


def tamper(sql: str, params: list | tuple = ()) -> int:
    """Run raw SQL on the audit table as an intruder with database access would.

    On PostgreSQL the append-only trigger is disabled first (the test user is a superuser,
    which is exactly the case docs/audit.md says the trigger cannot stop) and re-enabled
    after; the chain must still show the edit.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Run the deferred foreign-key checks now: ALTER TABLE refuses to wait for them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_append_only")
        cursor.execute(sql, params)
        changed = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_append_only")
    return changed

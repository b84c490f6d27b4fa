"""Celery tasks: long work the web layer hands off. Arguments are ids, never objects or
secrets (task arguments sit in the broker and in result backends in plain text)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from apps.connections.learning import learn_connection
from apps.connections.models import Connection
from nublox.celery import app


@app.task(name="nublox.jobs.learn_connection")
def learn_connection_task(
    connection_id: int, user_id: int | None = None, databases: list[str] | None = None
) -> dict:
    """Learn a connection's server and databases; returns what a caller may show."""
    connection = Connection.objects.select_related("workspace", "policy", "secret").get(
        pk=connection_id
    )
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    result = learn_connection(connection, user=user, databases=databases)
    return {
        "ok": result.ok,
        "message": result.message,
        "learned": result.learned,
        "failed": result.failed,
    }

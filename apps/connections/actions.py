"""Writes to connections (issue #6 adds secrets, policies and auditing here)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from apps.connections.models import Connection
from apps.workspaces.actions import ActionRefused


def do_register_connection(workspace, user, name: str, url: str, project=None) -> Connection:
    if urlsplit(url).password:
        raise ActionRefused("Put the password in the secret store, not in the URL.")
    try:
        with transaction.atomic():
            return Connection.objects.create(
                workspace=workspace, project=project, name=name, url=url, created_by=user
            )
    except IntegrityError:
        raise ActionRefused(f"A connection named “{name}” already exists.") from None

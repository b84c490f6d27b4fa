"""CSV export: streamed, capped by SQL_EDITOR_EXPORT_MAX_ROWS, always read-only."""

from __future__ import annotations

import csv
import io

import pytest

from apps.audit.models import AuditEvent
from tests.sql.conftest import ORIGINAL_ROWS, error_of


def export(editor, user, target, sql, **fields):
    return editor(user, target, sql, path="/sql/export/", **fields)


def test_export_streams_every_row(world, family_target, editor):
    response = export(editor, world.users["analyst"], family_target, "SELECT id, v FROM t")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="query-')
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["id", "v"], ["1", "one"], ["2", "two"], ["3", ""]]
    assert AuditEvent.objects.filter(action="query.export", outcome="ok").count() == 1


def test_export_is_capped(world, family_target, editor, settings):
    settings.SQL_EDITOR_EXPORT_MAX_ROWS = 2
    response = export(editor, world.users["analyst"], family_target, "SELECT id FROM t")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [["id"], ["1"], ["2"]]


def test_export_never_writes_even_for_developers(world, family_target, editor):
    sql = "DELETE FROM t"
    response = export(editor, world.users["developer"], family_target, sql)
    assert not response.streaming
    assert "not a query (DELETE)" in error_of(response.content.decode())
    assert family_target.rows() == ORIGINAL_ROWS
    assert AuditEvent.objects.filter(action="query.export", outcome="refused").count() == 1


def test_export_of_a_bad_statement_is_a_message(world, sqlite_target, editor):
    response = export(editor, world.users["analyst"], sqlite_target, "SELECT * FROM nope")
    assert not response.streaming
    assert "no such table" in error_of(response.content.decode())


# Closing a response outside the test client sends request_finished, which closes a
# PostgreSQL platform connection held in a test transaction: use real transactions here.
@pytest.mark.django_db(transaction=True)
def test_leases_are_freed_whether_or_not_the_download_finishes(world, sqlite_target, editor):
    from apps.connections.models import SessionLease

    finished = export(editor, world.users["analyst"], sqlite_target, "SELECT id FROM t")
    b"".join(finished.streaming_content)
    abandoned = export(editor, world.users["analyst"], sqlite_target, "SELECT id FROM t")
    assert SessionLease.objects.count() == 1  # the abandoned one is still being read
    abandoned.close()
    assert SessionLease.objects.count() == 0


def test_under_asgi_rows_stream_without_being_collected_first(world, sqlite_target):
    """Django reads a synchronous iterator into a list under ASGI; the export hands it an
    asynchronous one instead (the view is called with an ASGI request as daphne makes)."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncRequestFactory

    from apps.studio.sql import views

    data = {
        "target": str(sqlite_target.connection.pk),
        "sql": "SELECT id FROM t",
        "row_limit": 10,
        "timeout_s": 5,
        "query_id": "e" * 32,
    }
    request = AsyncRequestFactory().post("/sql/export/", data)
    request.user = world.users["analyst"]
    request.workspace, request.membership = world.acme, world.members["analyst"]
    response = views.export_csv(request)
    assert response.is_async

    async def collect():
        return [chunk async for chunk in response.streaming_content]

    assert b"".join(async_to_sync(collect)()).decode().split() == ["id", "1", "2", "3"]

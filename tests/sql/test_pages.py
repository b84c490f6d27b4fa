"""The editor page through the browser's eyes: who may open it, results and their pages,
limits, Explain, server errors as messages, and no password anywhere."""

from __future__ import annotations

import re

import pytest

from apps.audit.models import AuditEvent
from tests.sql.conftest import ORIGINAL_ROWS, error_of

#: A statement of 250 numbered rows, per family.
SERIES = {
    "postgres": "SELECT n FROM generate_series(1, 250) AS n ORDER BY n",
    "mysql": "SELECT seq AS n FROM seq_1_to_250 ORDER BY seq",
    "sqlite": "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 250)"
    " SELECT n FROM s",
}


def cells(html: str) -> list[str]:
    return re.findall(r"<td>([^<]*)</td>", html)


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("analyst", 200), ("owner", 200)])
def test_who_may_open_the_editor(world, host_client, role, status):
    response = host_client(world.users[role], "acme.localhost").get("/sql/")
    assert response.status_code == status
    if status == 200:
        assert "<textarea" in response.content.decode()


def test_viewer_cannot_run_and_outsider_cannot_reach(world, sqlite_target, editor):
    assert editor(world.users["viewer"], sqlite_target, "SELECT 1").status_code == 403
    assert editor(world.users["outsider"], sqlite_target, "SELECT 1").status_code in (403, 404)


def test_another_workspaces_connection_is_404(world, editor, sqlite_target):
    from apps.connections.models import Connection

    foreign = Connection.objects.get(workspace=world.globex)
    sqlite_target.connection = foreign
    response = editor(world.users["owner"], sqlite_target, "SELECT 1")
    # not among the choices of acme's form: refused before anything is looked up
    assert "Select a valid choice" in response.content.decode()


def test_pages_come_from_the_kept_result(world, family_target, editor, host_client, settings):
    settings.SQL_EDITOR_PAGE_SIZE = 100
    analyst = world.users["analyst"]
    first = editor(analyst, family_target, SERIES[family_target.family]).content.decode()
    assert cells(first)[:3] == ["1", "2", "3"]
    assert "Rows 1\u2013100 of 250" in first
    result_id = re.search(r"/sql/results/\?id=([0-9a-f]{32})&amp;page=2", first).group(1)

    third = host_client(analyst, "acme.localhost").get(f"/sql/results/?id={result_id}&page=3")
    html = third.content.decode()
    assert cells(html) == [str(n) for n in range(201, 251)]
    assert "Page 3 of 3" in html
    # a page is never a second run
    assert AuditEvent.objects.filter(action="query.run").count() == 1
    # someone else cannot page through it
    other = host_client(world.users["developer"], "acme.localhost")
    theirs = other.get(f"/sql/results/?id={result_id}&page=2").content.decode()
    assert error_of(theirs).startswith("This result is no longer kept")
    assert cells(theirs) == []


def test_row_limit_stops_the_read(world, family_target, editor):
    sql = SERIES[family_target.family]
    html = editor(world.users["analyst"], family_target, sql, row_limit=7).content.decode()
    assert cells(html) == [str(n) for n in range(1, 8)]
    assert "stopped at the row limit" in html


def test_bounds_are_checked(world, sqlite_target, editor, settings):
    settings.SQL_EDITOR_MAX_ROW_LIMIT = 50
    analyst = world.users["analyst"]
    too_long = editor(analyst, sqlite_target, "SELECT 1", timeout_s=61, row_limit=10)
    assert "At most 60 s: the statement timeout of policy “Default”" in too_long.content.decode()
    too_many = editor(analyst, sqlite_target, "SELECT 1", row_limit=51)
    assert "At most 50 rows" in too_many.content.decode()


def test_explain_shows_a_plan(world, family_target, editor):
    sql = "SELECT v FROM t WHERE id = 1"
    html = editor(world.users["analyst"], family_target, sql, explain="1").content.decode()
    assert not error_of(html), error_of(html)
    assert 'id="result-grid"' in html
    assert "one" not in cells(html)  # the plan, not the rows


@pytest.mark.parametrize("fixture", ["pg_target", "sqlite_target", "mariadb_target"])
def test_explain_never_runs_a_write(world, request, editor, fixture):
    """Explain runs in the read-only transaction for every role: PostgreSQL and SQLite
    show the plan of a DELETE, MariaDB refuses to explain it there; nothing is deleted."""
    target = request.getfixturevalue(fixture)
    sql = "DELETE FROM t WHERE id = 1"
    html = editor(world.users["developer"], target, sql, explain="1").content.decode()
    if target.family == "mysql":
        assert "READ ONLY transaction" in error_of(html)
    else:
        assert 'id="result-grid"' in html, error_of(html)
    assert target.rows() == ORIGINAL_ROWS


def test_server_errors_are_messages(world, family_target, editor):
    html = editor(world.users["analyst"], family_target, "SELECT * FROM no_such_table")
    message = error_of(html.content.decode())
    assert message.startswith("The server said:")
    assert "no_such_table" in message
    assert "Traceback" not in html.content.decode()
    event = AuditEvent.objects.filter(action="query.run").latest("seq")
    assert event.outcome == "failed"
    assert "no_such_table" in event.details["statement"]


def test_the_password_goes_nowhere(world, pg_target, editor):
    html = editor(world.users["developer"], pg_target, "SELECT current_user").content.decode()
    assert "nublox_admin" in html or "<td>" in html
    assert pg_target.password not in html
    for event in AuditEvent.objects.all():
        assert pg_target.password not in str(event.details)


def test_htmx_run_swaps_only_the_result(world, sqlite_target, host_client):
    client = host_client(world.users["analyst"], "acme.localhost")
    data = {
        "target": str(sqlite_target.connection.pk),
        "sql": "SELECT v FROM t WHERE id = 2",
        "row_limit": 10,
        "timeout_s": 5,
        "query_id": "a" * 32,
        "run": "1",
    }
    html = client.post("/sql/run/", data, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html
    assert cells(html) == ["two"]
    new_id = re.search(r'id="id_query_id" value="([0-9a-f]{32})" hx-swap-oob', html).group(1)
    assert new_id != "a" * 32

"""Roles without QUERY_WRITE run only read-only statements, on every family: the parse
refuses what it can see, the read-only transaction refuses what it cannot (a function that
writes), and the table is unchanged either way."""

from __future__ import annotations

import pytest

from tests.sql.conftest import ORIGINAL_ROWS, error_of

#: case -> statement per family ("*": all). The message part each refusal must show.
REFUSED = {
    "insert": ({"*": "INSERT INTO t VALUES (9, 'x')"}, "Refused: it is not a query (INSERT)"),
    "update in a CTE": (
        {
            "postgres": "WITH x AS (UPDATE t SET v = 'y' RETURNING id) SELECT * FROM x",
            "mysql": "WITH x AS (SELECT 1) UPDATE t SET v = 'y'",
            "sqlite": "WITH x AS (SELECT 1) UPDATE t SET v = 'y'",
        },
        "UPDATE",
    ),
    "select for update": ({"*": "SELECT * FROM t FOR UPDATE"}, "FOR UPDATE"),
    "two statements": ({"*": "select 1; drop table t"}, "Run one statement at a time"),
    "a function that writes": (
        {"postgres": "SELECT bump()", "mysql": "SELECT bump()"},
        "The server said",  # "… in a read-only transaction" / "… in a READ ONLY transaction"
    ),
    "a DO block": (
        {
            "postgres": "DO $$ BEGIN INSERT INTO t VALUES (9, 'x'); END $$",
            "mysql": "DO bump()",
            "sqlite": "DO 1",
        },
        "",
    ),
    "switch read-only off": ({"sqlite": "PRAGMA query_only = OFF"}, "PRAGMA"),
    "executable comment": ({"mysql": "SELECT 1 /*!, bump() */"}, "comments are run"),
    "select into": ({"postgres": "SELECT * INTO t2 FROM t"}, "SELECT … INTO"),
}


FIXTURES = {"postgres": "pg_target", "mysql": "mariadb_target", "sqlite": "sqlite_target"}
CASES = [
    (family, case, statements.get(family, statements.get("*")), expected)
    for case, (statements, expected) in REFUSED.items()
    for family in FIXTURES
    if family in statements or "*" in statements
]


@pytest.mark.parametrize(("family", "case", "sql", "expected"), CASES)
def test_refused_and_table_unchanged(world, request, editor, family, case, sql, expected):
    family_target = request.getfixturevalue(FIXTURES[family])
    response = editor(world.users["analyst"], family_target, sql)
    page = response.content.decode()
    assert response.status_code == 200
    message = error_of(page)
    assert message, page
    assert expected.lower() in message.lower()
    assert "Traceback" not in page
    assert family_target.rows() == ORIGINAL_ROWS


def test_pg_read_only_cannot_be_switched_off(world, pg_target, editor):
    sql = "SELECT set_config('transaction_read_only', 'off', true), bump()"
    page = editor(world.users["analyst"], pg_target, sql).content.decode()
    assert "read-write mode must be set before any query" in error_of(page)
    assert pg_target.rows() == ORIGINAL_ROWS


def test_analyst_reads(world, family_target, editor):
    page = editor(world.users["analyst"], family_target, "SELECT id, v FROM t ORDER BY id")
    html = page.content.decode()
    assert 'id="result-grid"' in html
    assert "<td>two</td>" in html
    assert '<span class="null">NULL</span>' in html
    assert "Rows 1\u20133 of 3" in html
    from apps.connections.models import SessionLease

    assert SessionLease.objects.count() == 0  # the session closed with the request


def test_developer_writes_and_it_is_audited(world, family_target, editor):
    from apps.audit.models import AuditEvent

    sql = "INSERT INTO t VALUES (4, 'four')"
    page = editor(world.users["developer"], family_target, sql).content.decode()
    assert "1 row affected" in page, page
    assert family_target.rows() == [*ORIGINAL_ROWS, (4, "four")]
    event = AuditEvent.objects.filter(action="query.run").latest("seq")
    assert event.details["statement"] == sql
    assert event.details["mode"] == "read-write"
    assert event.outcome == "ok"

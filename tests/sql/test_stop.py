"""Stopping a statement: the statement timeout, and cancel from another request. Both go
through the engine session's cancel(); the page says which one stopped it."""

from __future__ import annotations

import threading

import pytest
from django import db

from apps.audit.models import AuditEvent
from apps.studio.sql import actions, cancel, runner

#: A statement that runs far longer than any test waits, per family.
SLOW = {
    "postgres": "SELECT pg_sleep(60)",
    "mysql": "SELECT SUM(a.seq * b.seq) FROM seq_1_to_1000000 a, seq_1_to_1000000 b",
    "sqlite": "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s)"
    " SELECT count(*) FROM s",
}


def request_for(target, **fields) -> runner.Request:
    values = {"sql": SLOW[target.family], "mode": runner.READ_ONLY, "timeout_s": 30}
    return runner.Request(**{**values, **fields})


def test_the_statement_timeout_stops_it(world, family_target):
    req = request_for(family_target, timeout_s=1)
    outcome = actions.do_run_query(family_target.connection, world.users["analyst"], req)
    assert outcome.error.startswith("Stopped after 1 s (the statement timeout)")
    assert outcome.outcome == "failed"
    event = AuditEvent.objects.filter(action="query.run").latest("pk")
    assert (event.outcome, event.details["stopped"]) == ("failed", "timeout")


@pytest.mark.django_db(transaction=True)
def test_cancel_from_another_request(world, family_target, host_client):
    analyst = world.users["analyst"]
    query_id = "c" * 32
    req = request_for(family_target, query_id=query_id)
    outcomes = []

    def run_elsewhere():
        try:
            outcomes.append(actions.do_run_query(family_target.connection, analyst, req))
        finally:
            db.connection.close()  # the thread's own platform connection

    worker = threading.Thread(target=run_elsewhere)
    worker.start()
    try:
        started = threading.Event()
        while not cancel.is_running(query_id) and worker.is_alive():
            started.wait(0.05)
        client = host_client(analyst, "acme.localhost")
        # someone else's cancel does nothing
        other = host_client(world.users["developer"], "acme.localhost")
        assert other.post("/sql/cancel/", {"query_id": query_id}).status_code == 302
        assert cancel.is_running(query_id)
        response = client.post("/sql/cancel/", {"query_id": query_id}, HTTP_HX_REQUEST="true")
        assert response.content.decode().strip() == "Cancelling…"
    finally:
        worker.join(60)
    assert outcomes[0].error == "Cancelled at your request."
    assert not cancel.is_running(query_id)
    event = AuditEvent.objects.filter(action="query.run").latest("pk")
    assert (event.actor_id, event.details["stopped"]) == (analyst.pk, "cancelled")


def test_cancel_of_nothing_running(world, host_client):
    client = host_client(world.users["analyst"], "acme.localhost")
    response = client.post("/sql/cancel/", {"query_id": "d" * 32}, HTTP_HX_REQUEST="true")
    assert response.content.decode().strip() == "Cancel requested."

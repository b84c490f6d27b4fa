"""Runs end to end on separate processes, both ways the platform is run.

Embedded default: SQLite platform database, the file broker, the database channel layer, a
real `celery worker` and daphne. Production parts: PostgreSQL (DATABASE_URL), Redis for the
broker and the channel layer (REDIS_URL), a separate worker, daphne. A real websocket client
signs in with the session cookie and watches a run reach 100 %; a page fetched mid-run shows
the stored progress; a worker killed mid-run leaves a run marked failed with the reason.
"""

from __future__ import annotations

import json
import signal

import pytest
from websockets.exceptions import ConnectionClosed

from tests.jobs import _stack


def _watch(site: _stack.Site, run_id: int) -> tuple[list[dict], str]:
    """Follow a run's stream to its end; fetch the run page once it is mid-run."""
    events: list[dict] = []
    page = ""
    with site.stream(run_id) as ws:
        while True:
            try:
                event = json.loads(ws.recv(timeout=120))
            except TimeoutError:
                raise AssertionError(f"no event; worker log:\n{site.worker_log()}") from None
            events.append(event)
            mid_run = event["type"] in ("run.snapshot", "run.progress") and event["percent"] >= 25
            if not page and mid_run and event["state"] == "running":
                page = site.page(f"/jobs/{run_id}/")
            if event["type"] == "run.finished":
                return events, page


def _check_watched(site: _stack.Site, events: list[dict], page: str) -> None:
    assert events[0]["type"] == "run.snapshot"
    finished = events[-1]
    assert finished["state"] == "succeeded" and finished["percent"] == 100
    assert finished["result"] == {"slept": 6.0}
    kinds = ("run.snapshot", "run.progress")
    percents = [e["percent"] for e in events if e["type"] in kinds]
    assert percents == sorted(percents) and percents[-1] == 75  # the last step's start
    lines = {e["line"] for e in events if e["type"] == "run.log"}
    lines |= {e["line"] for e in events[0]["logs"]}
    assert lines == {f"step {n} of 4" for n in range(1, 5)}
    # The page reloaded mid-run showed what was stored at that moment, and the live hooks.
    assert page and "Running" in page and "Sleeping" in page and "step 1 of 4" in page
    assert "/ws/runs/" in page


def _check_refused(site: _stack.Site, run_id: int) -> None:
    for who, host in (("globex", "acme"), ("globex", "globex")):
        with (
            site.stream(run_id, who=who, host=host) as ws,
            pytest.raises(ConnectionClosed) as closed,
        ):
            ws.recv(timeout=60)
        assert closed.value.rcvd.code == 4403


def test_embedded_default(embedded):
    run_id = embedded.start(steps=4, seconds=1.5)
    events, page = _watch(embedded, run_id)
    _check_watched(embedded, events, page)
    _check_refused(embedded, run_id)
    assert embedded.state(run_id)["state"] == "succeeded"


@pytest.mark.services
def test_production_parts(production):
    run_id = production.start(steps=4, seconds=1.5)
    events, page = _watch(production, run_id)
    _check_watched(production, events, page)
    _check_refused(production, run_id)


def test_a_worker_killed_mid_run_leaves_a_failed_run_with_the_reason(embedded):
    run_id = embedded.start(steps=60, seconds=1)
    with embedded.stream(run_id) as ws:
        _stack.wait_for(
            lambda: json.loads(ws.recv(timeout=120)).get("step", "").startswith("Sleeping 2/"),
            "the run to reach its second step",
        )
        embedded.worker.send_signal(signal.SIGKILL)
        embedded.worker.wait(timeout=30)
        before = embedded.state(run_id)
        assert before["state"] == "running"  # nobody has noticed yet
        assert _stack.script(embedded.env, _stack.REAP_LATER) == [run_id]
        finished = _stack.wait_for(
            lambda: (e := json.loads(ws.recv(timeout=60)))["type"] == "run.finished" and e,
            "the failure to be streamed",
        )
    after = embedded.state(run_id)
    step = before["step"]
    assert after["state"] == "failed" and finished["state"] == "failed"
    assert after["error"] == f"the worker stopped while running this job (last step: {step})"
    assert finished["error"] == after["error"]
    assert after["logs"] >= 2

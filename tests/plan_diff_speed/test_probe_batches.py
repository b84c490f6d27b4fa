"""Probes sent one run mode's statements at a time (`"batch": true`) decide exactly as
probes sent statement by statement: same answers, same errors, and the session is left
outside any transaction either way."""

from __future__ import annotations

import pytest

from engine import connect, errors
from engine.flo import learn_server
from engine.flo import probes as probes_module
from engine.flo.probes import ProbeContext, load_family, run_statements


def _decisions(server) -> dict:
    return {
        c.name: (c.supported, c.evidence.answer, c.evidence.error, c.evidence.query)
        for c in (*server.capabilities, *server.security)
    }


@pytest.fixture
def batching(monkeypatch):
    """Set whether the run modes batch (True/False), whatever the data says."""
    state = {"batch": True}
    plain = ProbeContext.run_mode

    def run_mode(self, name):
        return {**plain(self, name), "batch": state["batch"]}

    monkeypatch.setattr(ProbeContext, "run_mode", run_mode)
    return state


def test_the_postgres_data_batches_its_run_modes(pg_url):
    with connect(pg_url) as s:
        modes = load_family(s.cfg.scheme)["run"]
    assert modes and all(mode.get("batch") is True for mode in modes.values())


def test_batched_probes_decide_as_one_by_one(pg_url, batching):
    with connect(pg_url) as s:
        sent: list[str] = []
        query = s.query
        s.query = lambda sql: sent.append(sql) or query(sql)
        batched = learn_server(s)
        batched_count = len(sent)
        batching["batch"] = False
        sent.clear()
        plain = learn_server(s)
        assert _decisions(batched) == _decisions(plain)
        assert batched.fingerprint == plain.fingerprint
        assert batched_count * 3 < len(sent)  # a round trip per run, not per statement


def test_a_failing_statement_in_a_batch_is_the_error_and_is_rolled_back(pg_url, batching):
    with connect(pg_url) as s:
        ctx = ProbeContext(session=s, family=load_family(s.cfg.scheme))
        outcomes = []
        for batch in (True, False):
            batching["batch"] = batch
            outcomes.append(run_statements(ctx, ["SELECT 1", "SELECT 1/0"], "query", 5000))
            assert s.query("SELECT 2").rows == [(2,)]  # not left in an aborted transaction
            assert s.query("SHOW transaction_read_only").rows == [("off",)]
        (batched, plain) = outcomes
        assert isinstance(batched.error, errors.ServerError)
        assert (batched.error.sqlstate, batched.error.message) == (
            plain.error.sqlstate,
            plain.error.message,
        )
        assert batched.statements == plain.statements


def test_a_batch_the_server_does_not_answer_statement_by_statement_is_run_again(pg_url):
    with connect(pg_url) as s:
        # a trailing empty statement: nothing to send on its own, so no batch at all
        assert probes_module._in_one_message(s, ["SELECT 1", ";"], 0) == (False, None)
        ok, result = probes_module._in_one_message(s, ["SELECT 3;", "SELECT 4"], 1)
        assert ok and result.rows == [(3,)]

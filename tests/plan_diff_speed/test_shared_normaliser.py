"""One fragment helper for two processes (`engine.flo.normaliser.Shared`): each gets the
answers it asked for, in its order, the same as parsing in place; a client that leaves
without asking for its answers does not keep the helper, or its starter, waiting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, os, sys
from engine import forked
from engine.flo import normaliser
from engine.flo.catalog import _normalizer

def ask(client, texts):
    fn = client.function("view")
    placeholders = [fn("postgres", t) for t in texts]
    client.push()
    answers = client.answers()
    return [answers[p.index] for p in placeholders]

A = ["SELECT t.a AS a FROM t", "SELECT b FROM u WHERE (b > 1)"]
B = ["SELECT b FROM u WHERE (b > 1)", "SELECT  c  FROM v"]
helper = normaliser.shared(2)
assert helper is not None, "no fork here"
leave_early = sys.argv[1] == "leave"

def child(helper):
    client = helper.client(1)
    if leave_early:
        client.function("view")("postgres", B[0])
        client.push()
        os._exit(0)  # gone without asking for its answers
    return ask(client, B)

pending = forked.start(child, helper)
helper.forget(1)
helper.start()
mine = ask(helper.client(0), A)
theirs = None if leave_early else pending.result()
if leave_early:
    try:
        pending.result()
    except Exception:
        pass
helper.wait()
direct = [[_normalizer("view")("postgres", t) for t in texts] for texts in (A, B)]
print(json.dumps({"mine": mine, "theirs": theirs, "direct": direct}))
"""


def _run(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-1500:]
    return json.loads(done.stdout)


def test_two_clients_get_what_parsing_in_place_gives():
    got = _run("both")
    assert got["mine"] == got["direct"][0]
    assert got["theirs"] == got["direct"][1]
    assert got["mine"][0] != "SELECT t.a AS a FROM t"  # normalised, not echoed


def test_a_client_that_leaves_early_keeps_nobody_waiting():
    got = _run("leave")  # the timeout fails the test if the helper waits forever
    assert got["mine"] == got["direct"][0] and got["theirs"] is None

"""engine.forked: a call run in a child process gives back its value or its error, exactly
as the same call on a thread would (sqlx plan:diff learns one side this way)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine import errors, forked
from engine.ir import model


def _answer(n: int) -> dict:
    return {"pid": os.getpid(), "squares": [i * i for i in range(n)]}


def _fails_connecting() -> None:
    raise errors.AuthError("password authentication failed", sqlstate="28P01")


class _Odd(Exception):
    def __init__(self, a, b) -> None:  # two required arguments: does not unpickle
        super().__init__(f"{a}/{b}")


def _fails_oddly() -> None:
    raise _Odd(1, 2)


def _snapshot() -> model.Snapshot:
    cols = tuple(model.Column(name=f"c{i}", type="integer") for i in range(3))
    table = model.Table(schema="public", name="t", columns=cols, comment="x")
    return model.Snapshot(dialect="postgres", tables=(table,), source={"kind": "live"})


def test_value_comes_back():
    """Whichever way it ran (in a test process other tests' server threads may be alive,
    and then forking is refused for safety: a thread)."""
    assert forked.start(_answer, 5).result()["squares"] == [0, 1, 4, 9, 16]


def test_in_a_process_without_threads_it_is_another_process():
    code = (
        "import os; from engine import forked, errors\n"
        "assert forked.can_fork()\n"
        "pid = forked.start(os.getpid).result()\n"
        "def boom(): raise errors.ServerError('no', sqlstate='42P01')\n"
        "try:\n    forked.start(boom).result()\n"
        "except errors.ServerError as e:\n    print(pid != os.getpid(), e.sqlstate)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.split() == ["True", "42P01"]


def test_engine_error_keeps_its_type_fields_and_exit_code():
    with pytest.raises(errors.AuthError) as caught:
        forked.start(_fails_connecting).result()
    assert caught.value.sqlstate == "28P01"
    assert caught.value.exit_code == 3
    assert "password authentication failed" in str(caught.value)


def test_unpicklable_error_becomes_an_engine_error_saying_the_same():
    assert forked._portable(_Odd(1, 2)).__class__ is errors.EngineError
    assert str(forked._portable(_Odd(1, 2))) == "_Odd: 1/2"
    kept = errors.ServerError("x", sqlstate="42P01")
    assert forked._portable(kept) is kept  # pickles: sent as itself
    with pytest.raises((errors.EngineError, _Odd), match="1/2"):  # a thread: as raised
        forked.start(_fails_oddly).result()


def test_snapshot_round_trips_with_the_ir_reducers():
    pending = forked.start(_snapshot, reducers=model._pickle_reducers())
    got = pending.result()
    assert got == _snapshot()
    assert got.source == {"kind": "live"}  # not compared by ==, sent all the same


def test_without_fork_the_call_runs_on_a_thread(monkeypatch):
    monkeypatch.setenv("SQLX_NO_FORK", "1")
    assert not forked.can_fork()
    assert forked.start(_answer, 3).result()["pid"] == os.getpid()
    with pytest.raises(errors.AuthError):
        forked.start(_fails_connecting).result()


def test_cancel_ends_the_child():
    code = (
        "import os, time; from engine import forked\n"
        "p = forked.start(time.sleep, 60); t = time.monotonic(); p.cancel()\n"
        "try:\n    os.waitpid(p._pid, os.WNOHANG)\nexcept ChildProcessError:\n"
        "    print('reaped', time.monotonic() - t < 10)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["reaped", "True"], done.stderr[-500:]

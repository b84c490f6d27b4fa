"""engine.gcpause.paused: no cyclic collection inside, the collector's state restored after
(also when the block raises, and when it was off already)."""

from __future__ import annotations

import gc

import pytest

from engine.gcpause import paused


def test_paused_and_restored():
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block found it off: leaves it off
    assert gc.isenabled()


def test_restored_after_an_error_and_left_off_when_found_off():
    with pytest.raises(ValueError), paused():
        raise ValueError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

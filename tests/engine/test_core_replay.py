"""Replay every recorded transcript in three chunkings: same events, byte-exact client output."""

from __future__ import annotations

import pytest

from tests.engine.transcript import (
    CHUNKINGS,
    all_transcripts,
    expected_client_bytes,
    load,
    normalize,
    replay,
)

NAMES = all_transcripts()


def test_there_are_transcripts_for_both_packs():
    packs = {load(n)["pack"] for n in NAMES}
    assert packs == {"mysql.wire.json", "postgres.wire.json"}


@pytest.mark.parametrize("how", CHUNKINGS)
@pytest.mark.parametrize("name", NAMES)
def test_replay(name, how):
    doc = load(name)
    r = replay(doc, how, seed=len(name))
    assert normalize(r.events) == doc["events"]
    assert bytes(r.sent) == expected_client_bytes(doc)

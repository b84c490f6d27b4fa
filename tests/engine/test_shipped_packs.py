"""Every wire pack shipped in `transports/` satisfies the pack JSON Schema.

load_pack() skips the schema check for shipped packs at run time (it costs a fifth of a
`sqlx` run), so this test is where they are checked; a broken shipped pack fails CI."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from engine.wirevm.packs import load_pack, validate_schema

SHIPPED = sorted(
    p.name for p in resources.files("transports").iterdir() if p.name.endswith(".wire.json")
)


def test_there_are_shipped_packs():
    assert {"mysql.wire.json", "postgres.wire.json"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_pack_matches_the_schema_and_compiles(name):
    doc = json.loads(resources.files("transports").joinpath(name).read_text(encoding="utf-8"))
    validate_schema(doc, name)
    assert load_pack(name).raw == doc

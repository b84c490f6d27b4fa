"""The catalog data itself (transports/flo/<family>/catalog.json + .sql): every family's file
loads, names only queries that exist and placeholders it declares, and a malformed file is a
ConfigError that says where -- no server needed."""

from __future__ import annotations

import json

import pytest

from engine.errors import ConfigError
from engine.flo import catalog
from engine.flo.catalog import FieldSpec, load_catalog
from engine.wirevm.packs import registry

FOLDERS = sorted({e["flo"] for e in registry()["schemes"].values() if "flo" in e})


def test_every_registered_family_has_a_catalog():
    assert FOLDERS == ["flo/mysql", "flo/postgres", "flo/sqlite"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_catalog_loads_and_renders(folder):
    cat = load_catalog(folder)
    kinds = {q.record for q in cat.queries if q.record}
    assert {"table", "column", "index", "view", "trigger", "stats"} <= kinds
    for q in cat.queries:
        sql = cat.render(q.sql, {"database": "it's"})
        assert "{{" not in sql, q.name
        for name in q.key:
            assert name in q.fields, f"{folder}/{q.name}: key {name!r} has no field"


def test_literals_are_escaped_per_family():
    assert load_catalog("flo/mysql").literal("a'b\\c") == "'a''b\\\\c'"
    assert load_catalog("flo/postgres").literal("a'b\\c") == "'a''b\\c'"


def test_field_spec_errors_name_the_place():
    with pytest.raises(ConfigError, match="queries/3/fields/x: unknown conversion 'bogus'"):
        FieldSpec.parse({"column": "c", "as": "bogus"}, "queries/3/fields/x")


def test_malformed_catalog_is_a_config_error(tmp_path, monkeypatch):
    root = tmp_path / "transports"
    (root / "flo" / "broken").mkdir(parents=True)
    (root / "flo" / "broken" / "catalog.json").write_text("{not json")
    (root / "flo" / "missing_sql").mkdir(parents=True)
    (root / "flo" / "missing_sql" / "catalog.json").write_text(
        json.dumps({"queries": [{"file": "nope.sql", "record": "table", "key": ["name"]}]})
    )
    monkeypatch.setattr(catalog.resources, "files", lambda package: root)
    load_catalog.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"broken/catalog\.json: not valid JSON"):
            load_catalog("flo/broken")
        with pytest.raises(ConfigError, match=r"missing_sql/nope\.sql: missing"):
            load_catalog("flo/missing_sql")
    finally:
        load_catalog.cache_clear()


def test_rules_set_and_drop():
    rule = catalog.Rule("column", {"default": "NULL"}, {"default": None}, False)
    assert rule.matches("column", {"default": "NULL"}, {})
    assert not rule.matches("column", {"default": "'NULL'"}, {})
    assert not rule.matches("table", {"default": "NULL"}, {})
    records = {"table": {("x",): {"name": "sqlx_journal"}, ("y",): {"name": "y"}}}
    cat = load_catalog("flo/postgres")
    kept = catalog._apply_rules(records, cat, {"database": "d"})
    assert list(kept["table"]) == [("y",)]

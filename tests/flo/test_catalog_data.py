"""The catalog data itself (transports/flo/<family>/catalog.json + .sql): every family's file
loads, names only queries that exist and placeholders it declares, and a malformed file is a
ConfigError that says where -- no server needed."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

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
        if q.each is not None:  # a template: the listing's columns fill it
            listing = cat.render(q.each, {"database": "it's"})
            assert "{{" not in listing, q.name
            names = sorted(set(re.findall(r"\{\{(?:row|ident):(\w+)\}\}", sql)))
            sql = cat.expand(sql, FakeResult(names, [tuple("v" for _ in names)]), q.each_join)
        assert "{{" not in sql, q.name
        for name in q.key:
            assert name in q.fields, f"{folder}/{q.name}: key {name!r} has no field"


@dataclass
class FakeResult:
    column_names: list[str]
    rows: list[tuple]


def test_each_template_expands_into_one_statement():
    cat = load_catalog("flo/mysql")
    (spec,) = [q for q in cat.queries if q.each is not None]
    listing = FakeResult(
        ["schema_name", "sequence_name", "comment"],
        [("d`b", "s'1", None), ("db", "s2", "it's")],
    )
    sql = cat.expand(spec.sql, listing, spec.each_join)
    assert sql.count("UNION ALL") == 1 and "--" not in sql
    assert "FROM `d``b`.`s'1`" in sql and "'s''1' AS sequence_name" in sql
    assert "NULL AS comment" in sql and "'it''s' AS comment" in sql
    assert cat.expand(spec.sql, FakeResult(listing.column_names, []), "UNION ALL") is None
    with pytest.raises(ConfigError, match="listing has no column"):
        cat.expand(spec.sql, FakeResult(["schema_name"], [("db",)]), "UNION ALL")


def test_tool_owned_names_are_left_out_by_prefix():
    cat = load_catalog("flo/postgres")
    assert cat.exclude_prefix == "_sqlx_"
    records = {
        "table": {("", "_sqlx_journal"): {"name": "_sqlx_journal"}, ("", "t"): {"name": "t"}},
        "column": {
            ("", "_sqlx_journal", "id"): {"table": "_sqlx_journal", "name": "id"},
            ("", "t", "_sqlx_x"): {"table": "t", "name": "_sqlx_x"},  # a user's column: kept
        },
        "trigger": {("", "t", "_sqlx_trg"): {"table": "t", "name": "_sqlx_trg"}},
        "sequence": {("", "s"): {"name": "s", "owned_by": "_sqlx_journal.id"}},
    }
    kept = catalog._apply_rules(records, cat, {"database": "d"})
    assert list(kept["table"]) == [("", "t")]
    assert list(kept["column"]) == [("", "t", "_sqlx_x")]
    assert not kept["trigger"] and not kept["sequence"]


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


class ScriptedSession:
    """Answers queries from a script; an Exception in it is raised instead."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.asked: list[str] = []
        self.cancelled = 0

    def query(self, sql):
        self.asked.append(sql)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def cancel(self):
        self.cancelled += 1
        return False


def test_prefetch_hands_results_in_order_and_skips_empty_statements():
    from engine.flo.catalog_rows import Prefetch

    session = ScriptedSession(["a", "c"])
    with Prefetch(session, ["1", None, "3"]) as results:
        assert list(results) == ["a", None, "c"]
    assert session.asked == ["1", "3"]


def test_prefetch_raises_a_server_error_in_the_caller_and_stops():
    from engine.errors import ServerError
    from engine.flo.catalog_rows import Prefetch

    session = ScriptedSession(["a", ServerError("boom"), "never"])
    seen = []
    with pytest.raises(ServerError, match="boom"), Prefetch(session, ["1", "2", "3"]) as results:
        seen.extend(results)
    assert seen == ["a"] and session.asked == ["1", "2"]  # nothing asked after the error


class BlockingSession(ScriptedSession):
    """Its second query runs until cancel() is called (or 10 s pass: then the test fails)."""

    def __init__(self):
        super().__init__(["a", "b", "c"])
        self.cancel_called = threading.Event()

    def query(self, sql):
        if sql == "2":
            self.asked.append(sql)
            self.cancel_called.wait(10)
            raise ConfigError("cancelled")
        return super().query(sql)

    def cancel(self):
        self.cancelled += 1
        self.cancel_called.set()
        return True


def test_prefetch_cancels_the_query_in_flight_when_the_caller_fails():
    from engine.flo.catalog_rows import Prefetch

    session = BlockingSession()
    with (
        pytest.raises(RuntimeError, match="mapping failed"),
        Prefetch(session, ["1", "2", "3"]) as results,
    ):
        next(results)
        raise RuntimeError("mapping failed")
    assert session.cancelled == 1
    assert session.asked == ["1", "2"]  # the third never sent

"""Plan JSON: exact round trip of every field, stable text, malformed files refused with a
PlanError naming the file and the JSON path, the JSON Schema agreeing with `loads`, and
docs/plan.md's example being a real plan."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import jsonschema
import pytest

from engine.errors import PlanError
from engine.planner import serial
from engine.planner.model import (
    HAZARDS,
    PLAN_FORMAT,
    Finding,
    Lock,
    ObjectRef,
    Operation,
    Plan,
    Rename,
    Risk,
    Step,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "engine" / "planner" / "plan.schema.json").read_text("utf-8"))


def full_plan() -> Plan:
    """A plan where every field of every record has a non-default value."""
    add = Operation(
        id="op-001",
        kind="add_column",
        target=ObjectRef("column", "public", "note", table="orders"),
        steps=(
            Step("ALTER TABLE orders ADD COLUMN note text"),
            Step(
                "SELECT 1",
                kind="sql",
                transactional=False,
                params=(("chunk_rows", 500), ("keys", ("id", "ts")), ("opts", {"a": (1, 2)})),
            ),
        ),
        rollback=(Step("ALTER TABLE orders DROP COLUMN note"),),
        rationale="Add column orders.note because the desired schema has it.",
        risk=Risk("medium", 30, ("INDEX_BUILD (+5): builds an index", "table (+25) é")),
        lock=Lock("ACCESS EXCLUSIVE", "table_size", True, True, True),
        strategy="shadow_copy",
        hazards=("TABLE_REWRITE", "LONG_LOCK"),
        lock_timeout_ms=2000,
        statement_timeout_ms=0,
        depends_on=(),
        notes=("offline: conservative strategy",),
    )
    drop = Operation(
        id="op-002",
        kind="drop_table",
        target=ObjectRef("table", "public", "old_stuff"),
        steps=(Step('DROP TABLE "old_stuff"'),),
        rollback=None,
        irreversible="the dropped table's rows cannot be restored",
        hazards=("DATA_LOSS", "IRREVERSIBLE"),
        depends_on=("op-001",),
    )
    return Plan(
        dialect="postgres",
        source_hash="sha256:" + "a" * 64,
        target_hash="sha256:" + "b" * 64,
        target_hash_unordered="sha256:" + "c" * 64,
        operations=(add, drop),
        findings=(
            Finding("NBX101", "warning", "op-002 drops old_stuff", "op-002", "why", "fix"),
            Finding("NBX503", "info", "plan-wide", None, "", ""),
        ),
        renames=(Rename("table", "public", "customer", "customers"),),
        suspected_renames=(Rename("column", "public", "code", "ref", table="orders"),),
        capabilities={"transactional_ddl": {"supported": True, "evidence": "BEGIN; CREATE ..."}},
        source={"from": {"kind": "live", "n": [1, 2.5]}, "created_at": "2026-11-22T04:00:00+00:00"},
    )


def test_round_trip_is_exact_including_uncompared_fields():
    plan = full_plan()
    back = serial.loads(serial.dumps(plan))
    assert back == plan
    assert back.capabilities == plan.capabilities and back.source == plan.source
    assert back.operations[0].steps[1].params == plan.operations[0].steps[1].params
    assert serial.dumps(back) == serial.dumps(plan)


def test_default_plan_round_trips():
    plan = Plan("sqlite", "h", "h", "h", ())
    assert serial.loads(serial.dumps(plan)) == plan


def record_fields(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_every_field_of_every_record_is_written():
    doc = serial.to_json(full_plan())
    op = doc["operations"][0]
    assert set(doc) == record_fields(Plan)
    assert set(op) == record_fields(Operation)
    assert set(op["target"]) == record_fields(ObjectRef)
    assert set(op["steps"][0]) == record_fields(Step)
    assert set(op["risk"]) == record_fields(Risk)
    assert set(op["lock"]) == record_fields(Lock)
    assert set(doc["findings"][0]) == record_fields(Finding)
    assert set(doc["renames"][0]) == record_fields(Rename)


def test_text_is_stable_sorted_and_keeps_plan_order():
    text = serial.dumps(full_plan())
    assert text.endswith("}\n") and "\n  " in text and "é" in text
    doc = json.loads(text)
    assert list(doc) == sorted(doc)
    assert list(doc["operations"][0]) == sorted(doc["operations"][0])
    assert [o["id"] for o in doc["operations"]] == ["op-001", "op-002"]
    assert doc["operations"][0]["hazards"] == ["TABLE_REWRITE", "LONG_LOCK"]
    assert doc["operations"][0]["steps"][1]["params"] == {
        "chunk_rows": 500, "keys": ["id", "ts"], "opts": {"a": [1, 2]},
    }  # fmt: skip


def test_non_json_values_are_refused_when_writing():
    plan = dataclasses.replace(full_plan(), source={"when": object()})
    with pytest.raises(PlanError, match="/source/when"):
        serial.dumps(plan)
    nan = dataclasses.replace(full_plan(), capabilities={"x": float("nan")})
    with pytest.raises(PlanError, match="/capabilities/x"):
        serial.dumps(nan)


# --- malformed plans ---------------------------------------------------------------------------


def mutate(fn) -> str:
    doc = serial.to_json(full_plan())
    fn(doc)
    return json.dumps(doc)


def op0(doc):
    return doc["operations"][0]


#: name -> (text of a malformed plan, JSON path the error must name, words in the message)
MALFORMED = {
    "truncated": (serial.dumps(full_plan())[:200], "/", "not valid JSON"),
    "not an object": ("[1, 2]", "/", "JSON object"),
    "wrong format": (mutate(lambda d: d.update(format="nublox.plan/2")), "/format", "plan/2"),
    "no format": (mutate(lambda d: d.pop("format")), "/format", "missing"),
    "missing field": (mutate(lambda d: op0(d).pop("lock")), "/operations/0", "'lock'"),
    "extra field": (mutate(lambda d: op0(d).update(colour="red")), "/operations/0", "colour"),
    "wrong type": (mutate(lambda d: op0(d)["risk"].update(score="high")),
                   "/operations/0/risk/score", "'high'"),
    "score out of range": (mutate(lambda d: op0(d)["risk"].update(score=101)),
                           "/operations/0/risk/score", "101"),
    "unknown hazard": (mutate(lambda d: op0(d)["hazards"].append("FUN")),
                       "/operations/0/hazards/2", "FUN"),
    "unknown risk level": (mutate(lambda d: op0(d)["risk"].update(level="meh")),
                           "/operations/0/risk/level", "meh"),
    "unknown duration": (mutate(lambda d: op0(d)["lock"].update(duration="forever")),
                         "/operations/0/lock/duration", "forever"),
    "unknown severity": (mutate(lambda d: d["findings"][0].update(severity="fatal")),
                         "/findings/0/severity", "fatal"),
    "bad op id": (mutate(lambda d: op0(d).update(id="first")), "/operations/0/id", "first"),
    "steps not a list": (mutate(lambda d: op0(d).update(steps="ALTER ...")),
                         "/operations/0/steps", "array"),
    "tampered step kind": (mutate(lambda d: op0(d)["steps"][0].update(kind="rm_rf")),
                           "/operations/0/steps/0/kind", "rm_rf"),
    "tampered rollback kind": (mutate(lambda d: op0(d)["rollback"][0].update(kind="nope")),
                               "/operations/0/rollback/0/kind", "nope"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_plan_is_a_plan_error_with_file_and_path(name):
    text, path, words = MALFORMED[name]
    with pytest.raises(PlanError) as caught:
        serial.loads(text, where="deploy/plan.json")
    err = caught.value
    assert str(err).startswith(f"deploy/plan.json: {path}: "), str(err)
    assert err.details["path"] == path and err.details["where"] == "deploy/plan.json"
    assert words in str(err)
    assert err.exit_code == 2


# --- the JSON Schema -----------------------------------------------------------------------------


def schema_accepts(text: str) -> bool:
    try:
        doc = json.loads(text)
    except ValueError:
        return False
    return jsonschema.Draft202012Validator(SCHEMA).is_valid(doc)


def test_schema_is_a_valid_draft_2020_12_schema_and_knows_the_model_names():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["format"]["const"] == PLAN_FORMAT
    hazards = SCHEMA["$defs"]["Operation"]["properties"]["hazards"]["items"]["enum"]
    assert hazards == list(HAZARDS)


def test_schema_agrees_with_loads():
    """Every document loads accepts, the schema accepts, and the other way round; the one
    difference by design: step kinds are checked against the executor registry by loads
    only (the schema cannot know which modules register kinds)."""
    good = serial.dumps(full_plan())
    assert schema_accepts(good)
    for name, (text, _, _) in MALFORMED.items():
        expected = name.startswith("tampered")
        assert schema_accepts(text) is expected, name


def test_schema_rejects_each_missing_field():
    doc = serial.to_json(full_plan())
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for key in list(doc):
        broken = copy.deepcopy(doc)
        broken.pop(key)
        assert not validator.is_valid(broken), key
        with pytest.raises(PlanError):
            serial.from_json(broken)
    for key in list(doc["operations"][0]):
        broken = copy.deepcopy(doc)
        broken["operations"][0].pop(key)
        assert not validator.is_valid(broken), key
        with pytest.raises(PlanError, match="/operations/0"):
            serial.from_json(broken)


def test_schema_ships_with_the_engine_package():
    """The schema is read through importlib.resources, so the wheel must carry it: some
    package-data pattern of the `engine` package must match planner/plan.schema.json."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"].get("engine", [])
    assert any(fnmatch("planner/plan.schema.json", p) for p in patterns), patterns
    assert serial.plan_schema() == SCHEMA


# --- docs/plan.md -------------------------------------------------------------------------------


def doc_blocks() -> tuple[str, str]:
    text = (ROOT / "docs" / "plan.md").read_text("utf-8")
    (example,) = re.findall(r"<!-- example-plan -->\n```python\n(.*?)```", text, flags=re.S)
    (dumped,) = re.findall(r"<!-- example-plan-json -->\n```json\n(.*?)```", text, flags=re.S)
    return example, dumped


def test_docs_example_is_a_real_plan_and_the_schema_validates_it():
    example, dumped = doc_blocks()
    namespace: dict = {}
    exec(compile(example, "docs/plan.md", "exec"), namespace)
    plan = namespace["plan"]
    assert serial.dumps(plan) == dumped
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(dumped))
    assert serial.loads(dumped, where="docs/plan.md") == plan

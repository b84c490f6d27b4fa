"""Canonical JSON: exact round trip, stable text, schema validation with JSON paths."""

from __future__ import annotations

import dataclasses
import json
import typing

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import ir
from engine.errors import ConfigError
from engine.ir import canonical, model
from tests.ir._corpus import corpus_files, corpus_ids

names = st.text(alphabet="abcxyz_Q", min_size=1, max_size=6)
maybe = st.none() | names
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)

columns = st.builds(
    model.Column,
    name=names,
    type=st.sampled_from(["integer", "text", "varchar(10)", "numeric(12,4)", "int unsigned"]),
    raw_type=st.sampled_from(["", "INT4", "character varying(10)"]),
    nullable=st.booleans(),
    default=maybe,
    identity=st.sampled_from([None, "always", "by default", "auto_increment"]),
    generated=maybe,
    generated_stored=st.booleans(),
    collation=maybe,
    comment=maybe,
    on_update=maybe,
)
parts = st.builds(
    model.IndexPart,
    column=maybe,
    expression=maybe,
    descending=st.booleans(),
    nulls=st.sampled_from([None, "first", "last"]),
    length=st.none() | st.integers(1, 255),
    opclass=maybe,
)
indexes = st.builds(
    model.Index,
    name=names,
    parts=st.lists(parts, min_size=1, max_size=3).map(tuple),
    unique=st.booleans(),
    predicate=maybe,
    method=st.sampled_from(["btree", "gin", "hash"]),
    include=st.lists(names, max_size=2).map(tuple),
    comment=maybe,
)
fks = st.builds(
    model.ForeignKey,
    name=names,
    columns=st.lists(names, min_size=1, max_size=2).map(tuple),
    ref_schema=names,
    ref_table=names,
    ref_columns=st.lists(names, min_size=1, max_size=2).map(tuple),
    on_delete=st.sampled_from(["NO ACTION", "CASCADE"]),
    deferrable=st.booleans(),
)
tables = st.builds(
    model.Table,
    schema=names,
    name=names,
    columns=st.lists(columns, max_size=4).map(tuple),
    primary_key=st.none() | st.builds(model.PrimaryKey, name=maybe, columns=st.tuples(names)),
    uniques=st.lists(
        st.builds(model.UniqueConstraint, name=names, columns=st.tuples(names)), max_size=2
    ).map(tuple),
    foreign_keys=st.lists(fks, max_size=2).map(tuple),
    checks=st.lists(
        st.builds(model.Check, name=names, expression=names, validated=st.booleans()), max_size=2
    ).map(tuple),
    indexes=st.lists(indexes, max_size=2).map(tuple),
    partitioning=st.none()
    | st.builds(
        model.Partitioning,
        strategy=st.sampled_from(["range", "list", "hash"]),
        key=st.tuples(names),
        partitions=st.lists(st.tuples(names, names), max_size=2).map(tuple),
    ),
    comment=maybe,
    options=st.lists(st.tuples(names, names), max_size=2).map(tuple),
)
free = st.recursive(
    st.none() | st.booleans() | ints | names,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)
snapshots = st.builds(
    ir.build_snapshot,
    st.sampled_from(["postgres", "mysql", "sqlite"]),
    namespaces=st.lists(st.builds(model.Namespace, name=names, comment=maybe), max_size=2),
    tables=st.lists(tables, max_size=3),
    views=st.lists(
        st.builds(
            model.View,
            schema=names,
            name=names,
            definition=names,
            materialized=st.booleans(),
            columns=st.lists(names, max_size=2).map(tuple),
            indexes=st.lists(indexes, max_size=1).map(tuple),
        ),
        max_size=2,
    ),
    sequences=st.lists(
        st.builds(
            model.Sequence,
            schema=names,
            name=names,
            start=ints,
            increment=ints,
            min_value=st.none() | ints,
            max_value=st.none() | ints,
            cycle=st.booleans(),
            owned_by=maybe,
        ),
        max_size=2,
    ),
    types=st.lists(
        st.builds(
            model.UserType,
            schema=names,
            name=names,
            kind=st.sampled_from(["enum", "domain"]),
            labels=st.lists(names, max_size=3).map(tuple),
            definition=maybe,
        ),
        max_size=2,
    ),
    triggers=st.lists(
        st.builds(
            model.Trigger,
            schema=names,
            table=names,
            name=names,
            timing=st.just("BEFORE"),
            events=st.lists(st.sampled_from(["INSERT", "UPDATE"]), min_size=1).map(tuple),
            definition=names,
            enabled=st.booleans(),
        ),
        max_size=2,
    ),
    routines=st.lists(
        st.builds(
            model.Routine,
            schema=names,
            name=names,
            kind=st.sampled_from(["function", "procedure"]),
            arguments=names,
            returns=maybe,
            language=maybe,
            definition=names,
        ),
        max_size=2,
    ),
    extensions=st.lists(
        st.builds(model.Extension, name=names, schema=names, version=maybe), max_size=2
    ),
    source=st.dictionaries(names, free, max_size=3),
    stats=st.dictionaries(names, free, max_size=3),
)


def raw_types(s: model.Snapshot) -> list:
    return [[c.raw_type for c in t.columns] for t in s.tables]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots)
def test_round_trip_is_exact(snap):
    doc = ir.to_json(snap)
    back = ir.from_json(json.loads(json.dumps(doc)))
    assert back == snap
    assert back.source == snap.source and back.stats == snap.stats
    assert raw_types(back) == raw_types(snap)  # not compared by ==, but kept
    text = ir.dumps(snap)
    assert ir.dumps(ir.loads(text)) == text
    assert ir.profile_hash(ir.loads(text)) == ir.profile_hash(snap)


@settings(max_examples=50, deadline=None)
@given(snapshots, st.randoms(use_true_random=False))
def test_canonical_text_ignores_construction_order(snap, rnd):
    def shuffled(items):
        items = list(items)
        rnd.shuffle(items)
        return tuple(items)

    scrambled = dataclasses.replace(
        snap,
        tables=shuffled(
            dataclasses.replace(t, indexes=shuffled(t.indexes), checks=shuffled(t.checks))
            for t in snap.tables
        ),
        views=shuffled(snap.views),
        sequences=shuffled(snap.sequences),
    )
    assert ir.dumps(scrambled) == ir.dumps(snap)


@pytest.mark.parametrize(("dialect", "path"), corpus_files(), ids=corpus_ids())
def test_every_corpus_snapshot_validates_against_the_schema(dialect, path):
    snap = ir.parse_ddl(path.read_text(), dialect)
    doc = ir.to_json(snap)
    jsonschema.Draft202012Validator(canonical.snapshot_schema()).validate(doc)
    assert doc["format"] == ir.SNAPSHOT_FORMAT == "nublox.snapshot/1"
    assert ir.from_json(doc) == snap


def test_dumps_is_sorted_and_stable():
    snap = ir.parse_ddl("CREATE TABLE b (y int); CREATE TABLE a (x int);", "sqlite")
    text = ir.dumps(snap)
    assert text.endswith("\n")
    doc = json.loads(text)
    assert [t["name"] for t in doc["tables"]] == ["a", "b"]
    assert list(doc) == sorted(doc)
    assert text == ir.dumps(
        ir.parse_ddl("CREATE TABLE a (x int); CREATE TABLE b (y int);", "sqlite")
    )


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (
            lambda d: d["tables"][0]["columns"][0].update(nullable="yes"),
            "/tables/0/columns/0/nullable",
        ),
        (lambda d: d["tables"][0].update(colour="red"), "/tables/0"),
        (lambda d: d.update(format="nublox.snapshot/9"), "/format"),
        (lambda d: d.pop("dialect"), "/"),
        (
            lambda d: d["tables"][0]["indexes"][0]["parts"][0].update(length="10"),
            "/tables/0/indexes/0/parts/0/length",
        ),
    ],
)
def test_malformed_documents_name_the_json_path(mutate, path):
    snap = ir.parse_ddl("CREATE TABLE t (x int); CREATE INDEX i ON t (x);", "sqlite")
    doc = json.loads(ir.dumps(snap))
    mutate(doc)
    with pytest.raises(ConfigError) as err:
        ir.from_json(doc)
    assert f"snapshot {path}" in str(err.value)


def test_bad_json_text_and_floats_are_config_errors():
    with pytest.raises(ConfigError, match="not valid JSON"):
        ir.loads("{nope")
    snap = ir.build_snapshot("sqlite", stats={"rows": 1.5})
    with pytest.raises(ConfigError, match="/stats/rows: floats are not allowed"):
        ir.to_json(snap)


def test_schema_describes_exactly_the_model_fields():
    schema = canonical.snapshot_schema()
    for name, definition in schema["$defs"].items():
        cls = getattr(model, name)
        assert set(definition["properties"]) == {f.name for f in dataclasses.fields(cls)}, name
        hints = typing.get_type_hints(cls, vars(model))
        required = {
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        assert set(definition["required"]) == required, name
        assert set(hints) >= set(definition["properties"])
    top = {f.name for f in dataclasses.fields(model.Snapshot)} | {"format"}
    assert set(schema["properties"]) == top


def test_hand_written_minimal_document_takes_defaults():
    snap = ir.from_json(
        {
            "format": "nublox.snapshot/1",
            "dialect": "postgres",
            "tables": [
                {"schema": "public", "name": "t", "columns": [{"name": "id", "type": "integer"}]}
            ],
        }
    )
    assert snap.tables[0].columns[0].nullable is True
    assert snap.tables[0].primary_key is None


def test_the_documented_example_is_current():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "snapshot.md").read_text()
    sql = doc.split("```sql\n", 1)[1].split("```", 1)[0]
    shown = doc.split("```json\n", 1)[1].split("```", 1)[0]
    snap = ir.parse_ddl(sql, "postgres")
    assert ir.dumps(snap) == shown
    assert f"`{ir.profile_hash(snap)}`" in doc


def test_trusted_text_round_trips_without_the_schema_check(monkeypatch):
    """A platform's stored profile is text the engine wrote: loading it skips validation,
    and gives the same snapshot."""
    from engine.ir import canonical

    snap = ir.parse_ddl(
        "CREATE TABLE t (x int PRIMARY KEY, y text DEFAULT 'a'); CREATE INDEX i ON t (y);",
        "sqlite",
    )
    text = ir.dumps(snap)
    calls = []
    monkeypatch.setattr(canonical, "validate", lambda doc: calls.append(doc))
    assert ir.loads(text, trusted=True) == ir.loads(text)
    assert len(calls) == 1  # only the untrusted load validated

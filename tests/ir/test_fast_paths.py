"""The shortcuts that make large snapshots fast change no answer: one-pass hash texts and
per-record texts, the column-order-aside memo, Snapshot.table's index, the pickle
reducers, and FLO's slot-filling record builders."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle

import pytest

from engine import ir
from engine.flo import database as flo_database
from engine.ir import canonical, hashing, model
from tests.ir._corpus import corpus_files, corpus_ids


def _big(n: int = 60) -> model.Snapshot:
    """n tables, columns not in name order, an index and a foreign key each."""
    tables = []
    for i in range(n):
        cols = (
            model.Column(name="zeta", type="integer", nullable=False, raw_type="int4"),
            model.Column(name="alpha", type="text", default="'a'"),
        )
        fk = model.ForeignKey(
            name=f"f{i}",
            columns=("zeta",),
            ref_schema="public",
            ref_table="t0",
            ref_columns=("zeta",),
        )
        idx = model.Index(name=f"i{i}", parts=(model.IndexPart(column="alpha"),))
        tables.append(model.Table(schema="public", name=f"t{i}", columns=cols,
                                  foreign_keys=(fk,), indexes=(idx,)))  # fmt: skip
    view = model.View(schema="public", name="v", definition="SELECT 1")
    return ir.build_snapshot("postgres", tables=tables, views=[view])


@pytest.mark.parametrize(("dialect", "path"), corpus_files(), ids=corpus_ids())
def test_hash_text_records_are_the_pieces_of_the_hash_text(dialect, path):
    snap = ir.parse_ddl(path.read_text(), dialect)
    text, records = canonical.hash_text_records(snap)
    assert text == canonical.hash_text(snap)
    doc = json.loads(text)
    for name, texts in records.items():
        assert [json.loads(t) for t in texts] == doc[name]
        assert texts == [canonical.record_text(x) for x in getattr(snap, name)]


def test_profile_hash_records_hash_is_profile_hash():
    snap = _big()
    for order in (True, False):
        digest, _ = hashing.profile_hash_records(snap, column_order=order)
        assert digest == hashing.profile_hash(snap, column_order=order)
    doc = hashing.hash_document(snap, column_order=False)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert hashing.profile_hash(snap, column_order=False) == expected


def test_columns_by_name_is_remembered_and_right():
    snap = _big()
    once = hashing.columns_by_name(snap)
    assert hashing.columns_by_name(snap) is once
    assert [c.name for c in once.tables[0].columns] == ["alpha", "zeta"]
    assert canonical.is_canonical(once)
    fresh = dataclasses.replace(snap, source={"x": 1})  # equal, but another object
    assert hashing.columns_by_name(fresh) == once


def test_table_lookup_by_index_matches_a_scan():
    snap = _big(80)
    for t in snap.tables:
        assert snap.table(t.schema, t.name) is t
    assert snap.table("public", "nope") is None
    assert snap.table("other", "t1") is None
    t5 = snap.table("public", "t5")
    twice = dataclasses.replace(snap, tables=(*snap.tables, dataclasses.replace(t5)))
    assert twice.table("public", "t5") is t5  # the first of two, as the scan gives


def test_pickle_reducers_round_trip_every_record_class():
    snap = _big()
    data = pickle.dumps(snap)
    reducers = model._pickle_reducers()
    assert set(reducers) >= set(flo_database.CLASSES.values()) | {model.Snapshot}
    import copyreg
    import io

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer)
    pickler.dispatch_table = {**copyreg.dispatch_table, **reducers}
    pickler.dump(snap)
    back = pickle.loads(buffer.getvalue())
    assert back == pickle.loads(data) == snap
    assert ir.dumps(back) == ir.dumps(snap)


@pytest.mark.parametrize("cls", sorted(set(flo_database.CLASSES.values()) | {model.IndexPart},
                                       key=lambda c: c.__name__))  # fmt: skip
def test_flo_builders_give_what_the_constructor_gives(cls):
    """The builders fill slots instead of calling __init__: that is only the same while
    the IR classes are slotted and have no __post_init__."""
    assert "__slots__" in cls.__dict__ and not hasattr(cls, "__post_init__")
    values, kwargs = {}, {}
    for i, f in enumerate(dataclasses.fields(cls)):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required or i % 2:
            hint = str(f.type)
            value = ["a", "b"] if hint.startswith("tuple") else 1 if "int" in hint else "x"
            if "bool" in hint:
                value = True
            values[f.name] = value
            kwargs[f.name] = tuple(value) if isinstance(value, list) else value
        elif i % 3 == 0:
            values[f.name] = None  # None means "not stated": the IR default
    built = flo_database._build(cls, values)
    assert built == cls(**kwargs)
    assert [getattr(built, f.name) for f in dataclasses.fields(cls)] == [
        getattr(cls(**kwargs), f.name) for f in dataclasses.fields(cls)
    ]
    extra = {dataclasses.fields(cls)[0].name: None}
    assert flo_database._build(cls, values, **extra) == cls(**{**kwargs, **extra})

"""Wire packs load, and broken packs are refused with a PackError naming file and JSON path."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from engine.errors import ConfigError, PackError
from engine.wirevm.packs import CompiledPack, load_pack, pack_for_scheme, registry

PACKS = ("mysql.wire.json", "postgres.wire.json")


def raw(name: str) -> dict:
    return json.loads(resources.files("transports").joinpath(name).read_text())


@pytest.mark.parametrize("name", PACKS)
def test_shipped_packs_compile(name):
    pack = load_pack(name)
    assert isinstance(pack, CompiledPack)
    assert pack.name == name
    assert {"connect", "query", "ping", "terminate"} <= set(pack.scripts)
    assert pack.session["default_port"] in (3306, 5432)
    assert load_pack(name) is pack  # cached


def test_registry_maps_schemes_and_exposes_inprocess_entries():
    schemes = registry()["schemes"]
    assert pack_for_scheme("mariadb") is pack_for_scheme("mysql")
    assert pack_for_scheme("postgres") is pack_for_scheme("postgresql")
    assert pack_for_scheme("postgresql").name == "postgres.wire.json"
    entry = pack_for_scheme("sqlite")
    assert isinstance(entry, dict) and entry["inprocess"] == schemes["sqlite"]["inprocess"]
    with pytest.raises(ConfigError, match="unknown URL scheme 'oracle'"):
        pack_for_scheme("oracle")


def _first_in_message(doc):
    return next(n for n, m in doc["messages"].items() if m["dir"] == "in" and m.get("fields"))


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _connect_state(doc, kind):
    states = doc["scripts"]["connect"]["states"]
    return next(n for n, s in states.items() if kind in s)


# (id, mutation(doc, name), expected substring of the PackError text)
BROKEN = [
    (
        "bad_field_type",
        lambda d: _set(d, ["messages", _first_in_message(d), "fields", 0, "type"], "u9"),
        "/fields/0/type: 'u9' is not one of",
    ),
    ("missing_scripts", lambda d: d.pop("scripts"), ":/: 'scripts' is a required property"),
    ("bad_endian", lambda d: _set(d, ["endian"], "middle"), ":/endian: 'middle' is not one of"),
    (
        "unknown_action",
        lambda d: _set(d, ["scripts", "query", "states", "send", "do", 0, 0], "launch"),
        "/scripts/query/states/send/do/0/0",
    ),
    (
        "send_unknown_message",
        lambda d: _set(d, ["scripts", "query", "states", "send", "do", 0, 1], "NoSuchMessage"),
        "/scripts/query/states/send/do/0/1: unknown outbound message 'NoSuchMessage'",
    ),
    (
        "goto_missing_state",
        lambda d: _set(d, ["scripts", "query", "states", "send", "goto"], "nowhere"),
        "/scripts/query/states/send/goto: goto to a missing state 'nowhere'",
    ),
    (
        "start_state_missing",
        lambda d: _set(d, ["scripts", "query", "start"], "nope"),
        "/scripts/query/start: start state 'nope' is missing",
    ),
    (
        "expression_does_not_parse",
        lambda d: _set(d, ["row_codec", "type_map", 0, "when"], "col.type ==== 3"),
        "/row_codec/type_map/0/when: expression 'col.type ==== 3'",
    ),
    (
        "unknown_primitive",
        lambda d: _set(d, ["row_codec", "column", "name"], "nosuch.primitive(col.name)"),
        "unknown function or primitive 'nosuch.primitive'",
    ),
    (
        "unknown_decoder",
        lambda d: _set(d, ["row_codec", "type_map", 0, "decoder"], "nodecoder"),
        "/row_codec/type_map/0/decoder: unknown value decoder 'nodecoder'",
    ),
    (
        "last_type_rule_not_default",
        lambda d: d["row_codec"]["type_map"].pop(),
        "/row_codec/type_map: the last type rule must be a default",
    ),
    (
        "handler_for_unknown_message",
        lambda d: d["scripts"]["connect"]["states"][_connect_state(d, "on")]["on"].update(
            {"Nope": {"goto": "@done"}}
        ),
        "/on/Nope: unknown message or event 'Nope'",
    ),
    (
        "unknown_failure_code",
        lambda d: d["scripts"]["query"]["states"]["send"]["do"].insert(
            0, ["require", "true", "zz"]
        ),
        "/scripts/query/states/send/do/0: unknown failure code 'zz'",
    ),
    (
        "suspending_action_not_last",
        lambda d: d["scripts"]["query"]["states"]["send"]["do"].insert(0, ["start_tls"]),
        "'start_tls' must be the last action of its list",
    ),
    (
        "unknown_error_class",
        lambda d: next(iter(d["failures"].values())).update(error="Oops"),
        "is not one of",
    ),
    ("not_json", None, "not JSON"),
]


@pytest.mark.parametrize("name", PACKS)
@pytest.mark.parametrize("case", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_pack_is_refused_with_file_and_path(tmp_path, name, case):
    _, mutate, expected = case
    target = tmp_path / name
    if mutate is None:
        target.write_text(json.dumps(raw(name))[:-10])
    else:
        doc = copy.deepcopy(raw(name))
        mutate(doc)
        target.write_text(json.dumps(doc))
    with pytest.raises(PackError) as info:
        load_pack(str(target))
    text = str(info.value)
    assert text.startswith(f"{name}:"), text
    assert expected in text, text


def test_secret_field_needs_a_require_first(tmp_path):
    doc = raw("postgres.wire.json")
    handler = doc["scripts"]["connect"]["states"]["auth"]["on"]["AuthCleartext"]
    handler["do"] = [a for a in handler["do"] if a[0] != "require"]
    target = tmp_path / "postgres.wire.json"
    target.write_text(json.dumps(doc))
    with pytest.raises(PackError, match="secret field is sent without a preceding 'require'"):
        load_pack(str(target))


def test_missing_pack_file_is_a_pack_error(tmp_path):
    with pytest.raises(PackError, match="cannot read pack"):
        load_pack(str(tmp_path / "absent.wire.json"))

"""Wire packs: find, validate and compile the JSON documents that describe a protocol.

A pack is data shipped in the `transports` package (found with importlib.resources, so an
installed wheel works). Loading runs two checks before anything is compiled:
1. the JSON Schema `transports/schema/wirepack.schema.json` (shape, field types, enums);
2. semantic checks while compiling: every expression parses, every message, state, script,
   failure code, primitive and value decoder a pack names exists.
A broken pack is refused with `PackError` naming the file and the JSON path, e.g.
`mysql.wire.json:/messages/OK/fields/2/type: 'u9' is not one of [...]`.

`CompiledPack` is immutable and cached per file; connection state lives in the core.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from engine.errors import PackError
from engine.wirevm import rowcodecs
from engine.wirevm.expr import HELPERS, pack_compiler
from engine.wirevm.fields import MessageCodec, compile_message
from engine.wirevm.framing import FrameSpec
from engine.wirevm.scripts import ScriptDef, compile_scripts

_ERROR_CLASSES = (
    "ProtocolError",
    "AuthError",
    "TLSError",
    "SecurityPolicyError",
    "ServerError",
    "QueryCanceled",
    "DataError",
    "ConnectionLost",
)


@dataclass(frozen=True)
class Dispatch:
    """How inbound frames become message names: by tag (one table) or by first payload byte
    (one rule list per script state's `dispatch` name)."""

    by: str
    tags: dict[int, str] = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)

    def row_frames(self, table: str | None) -> rowcodecs.RowFrames:
        if self.by == "tag":
            row = [t for t, m in self.tags.items() if m == "@row"]
            return rowcodecs.RowFrames(row_tag=row[0] if row else -1)
        stops = {r["first"] for r in self.tables.get(table or "", []) if "first" in r}
        return rowcodecs.RowFrames(stop_first=frozenset(stops))


@dataclass(frozen=True)
class TypeRule:
    when: Any  # compiled expression, or None for the default rule
    decoder: str | None  # None: a guard-only rule
    params: dict
    guard: Any = None
    guard_message: str = ""


@dataclass(frozen=True)
class CompiledPack:
    name: str
    path: str
    raw: dict
    session: dict
    constants: dict[str, Any]
    tables: dict[str, dict]
    framing: FrameSpec
    max_payload: Any
    messages: dict[str, MessageCodec]
    events: dict[str, str]  # switch event name -> message that produces it
    dispatch: Dispatch
    async_handlers: dict[str, Any]
    row_style: Any
    column: dict[str, Any]
    type_rules: tuple[TypeRule, ...]
    auth_plugins: dict[str, dict]
    scripts: dict[str, ScriptDef]
    failures: dict[str, dict]
    errors: dict[str, Any]
    limits: dict[str, int]


def _resolver(where: str):
    """Calls in expressions: pure helpers first, then the primitive registry (H2)."""
    from engine.wirevm.primitives import get_primitive

    def resolve(name: str):
        if name in HELPERS:
            return HELPERS[name]
        try:
            return get_primitive(name)
        except PackError:
            from engine.wirevm.expr import ExprError

            raise ExprError(f"unknown function or primitive {name!r}") from None

    return resolve


@functools.lru_cache(maxsize=1)
def _schema() -> dict:
    text = resources.files("transports").joinpath("schema/wirepack.schema.json").read_text()
    return json.loads(text)


def validate_schema(doc: dict, name: str) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        path = "/" + "/".join(str(p) for p in best.absolute_path)
        raise PackError(best.message, where=f"{name}:{path}")


def _read(name_or_path: str) -> tuple[str, str, dict]:
    p = Path(name_or_path)
    try:
        if p.is_absolute() or p.parent != Path("."):
            text, name, path = p.read_text(encoding="utf-8"), p.name, str(p)
        else:
            res = resources.files("transports").joinpath(name_or_path)
            text, name, path = res.read_text(encoding="utf-8"), name_or_path, str(res)
    except (OSError, FileNotFoundError) as exc:
        raise PackError(f"cannot read pack: {exc.__class__.__name__}", where=name_or_path) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PackError(f"not JSON: {exc.msg} at line {exc.lineno}", where=name) from None
    return name, path, doc


@functools.lru_cache(maxsize=32)
def load_pack(name_or_path: str) -> CompiledPack:
    """Load, validate and compile a pack (cached). `name_or_path`: a file name inside the
    `transports` package, or a path to a file elsewhere (tests use broken copies).

    A pack from a path is checked against the JSON Schema here; the packs shipped in the
    package were checked by the test suite (tests/engine/test_shipped_packs.py), so every
    process does not pay for importing jsonschema and validating them again (about 0.1 s,
    a fifth of a `sqlx` run). Both kinds go through compile_pack's semantic checks."""
    name, path, doc = _read(name_or_path)
    if not _shipped(name_or_path):
        validate_schema(doc, name)
    return compile_pack(doc, name, path)


def _shipped(name_or_path: str) -> bool:
    p = Path(name_or_path)
    return not (p.is_absolute() or p.parent != Path("."))


def compile_pack(doc: dict, name: str, path: str = "") -> CompiledPack:
    constants = dict(doc.get("constants", {}))
    tables = {k: dict(v) for k, v in doc.get("tables", {}).items()}
    constants.update({f"tables.{k}": v for k, v in tables.items()})
    compile_at = pack_compiler(constants, _resolver(name), name)
    endian = doc["endian"]

    messages: dict[str, MessageCodec] = {}
    events: dict[str, str] = {}
    for mname, spec in doc["messages"].items():
        fields = spec.get("fields", [])
        if "fields_from" in spec:
            src = doc["messages"].get(spec["fields_from"]["message"])
            if src is None:
                raise PackError("unknown message", where=f"{name}:/messages/{mname}/fields_from")
            fields = src.get("fields", [])[: spec["fields_from"]["count"]] + fields
        messages[mname] = compile_message(
            mname, spec, fields, compile_at, endian, f"/messages/{mname}"
        )
        for ev in _switch_events(fields):
            events[ev] = mname

    dispatch = _compile_dispatch(doc["dispatch"], messages, compile_at, name)
    limits = dict(doc.get("limits", {}))
    rc = doc["row_codec"]
    style = rowcodecs.CODECS[rc["style"]]
    column = {
        k: compile_at(v, f"/row_codec/column/{k}") for k, v in rc["column"].items() if k != "meta"
    }
    column["meta"] = {
        k: compile_at(v, f"/row_codec/column/meta/{k}")
        for k, v in rc["column"].get("meta", {}).items()
    }
    rules = _compile_type_rules(rc["type_map"], compile_at, name)

    names_ok = set(messages) | set(events)
    failures = doc.get("failures", {})
    for code, f in failures.items():
        if f["error"] not in _ERROR_CLASSES:
            raise PackError(f"unknown error class {f['error']!r}", where=f"{name}:/failures/{code}")
    scripts = compile_scripts(
        doc["scripts"],
        compile_at,
        name,
        messages,
        names_ok,
        failures,
        doc.get("auth_plugins", {}),
        dispatch.tables,
        dispatch.by,
    )
    async_handlers = {
        m: scripts_actions
        for m, scripts_actions in (
            (m, _compile_async(acts, compile_at, name, m, messages, failures))
            for m, acts in doc.get("async_messages", {}).items()
        )
    }
    for m in async_handlers:
        if m not in names_ok:
            raise PackError(f"unknown message {m!r}", where=f"{name}:/async_messages/{m}")

    plugins = {}
    for pname, p in doc.get("auth_plugins", {}).items():
        where = f"/auth_plugins/{pname}"
        plugins[pname] = {
            "initial": compile_at(p["initial"], f"{where}/initial"),
            "require": compile_at(p["require"], f"{where}/require") if "require" in p else None,
            "refusal": p.get("refusal", "auth_plugin_refused"),
            "more": p.get("more"),
        }
        if p.get("more") and p["more"] not in scripts:
            raise PackError(f"unknown script {p['more']!r}", where=f"{name}:{where}/more")
        if plugins[pname]["refusal"] not in failures:
            raise PackError("unknown failure code", where=f"{name}:{where}/refusal")
    errors = {
        k: compile_at(v, f"/errors/{k}") if k != "rename" else v for k, v in doc["errors"].items()
    }
    if "rename" in errors and errors["rename"] not in tables:
        raise PackError("unknown table", where=f"{name}:/errors/rename")
    return CompiledPack(
        name=name,
        path=path,
        raw=doc,
        session=dict(doc.get("session", {})),
        constants=constants,
        tables=tables,
        framing=FrameSpec(doc["framing"], endian),
        max_payload=compile_at(
            doc["framing"].get("max_payload", "cfg.max_message"), "/framing/max_payload"
        ),
        messages=messages,
        events=events,
        dispatch=dispatch,
        async_handlers=async_handlers,
        row_style=style,
        column=column,
        type_rules=rules,
        auth_plugins=plugins,
        scripts=scripts,
        failures=failures,
        errors=errors,
        limits=limits,
    )


def _switch_events(fields: list) -> list[str]:
    out = []
    for f in fields:
        if f["type"] == "switch":
            for case in f["cases"].values():
                if case.get("event"):
                    out.append(case["event"])
                out += _switch_events(case.get("fields", []))
            if f.get("default", {}).get("event"):
                out.append(f["default"]["event"])
        elif f["type"] in ("group", "region"):
            out += _switch_events(f["fields"])
    return out


def _compile_dispatch(spec: dict, messages, compile_at, name: str) -> Dispatch:
    def known(m: str, where: str) -> None:
        if m != "@row" and m not in messages:
            raise PackError(f"unknown message {m!r}", where=f"{name}:{where}")

    if spec["by"] == "tag":
        tags = {}
        for t, m in spec["tags"].items():
            known(m, f"/dispatch/tags/{t}")
            tags[ord(t)] = m
        return Dispatch("tag", tags=tags)
    tables = {}
    for tname, rules in spec["tables"].items():
        out = []
        for i, r in enumerate(rules):
            m = r.get("msg", r.get("default"))
            known(m, f"/dispatch/tables/{tname}/{i}")
            rule = dict(r, msg=m)
            if "when" in r:
                rule["when"] = compile_at(r["when"], f"/dispatch/tables/{tname}/{i}/when")
            out.append(rule)
        tables[tname] = out
    return Dispatch("first_byte", tables=tables)


def _compile_type_rules(rules: list, compile_at, name: str) -> tuple[TypeRule, ...]:
    from engine.wirevm.values import decoder_factory

    out = []
    for i, r in enumerate(rules):
        where = f"/row_codec/type_map/{i}"
        params = dict(r.get("params", {}))
        if "decoder" not in r and "guard" not in r:
            raise PackError("a type rule needs a decoder or a guard", where=f"{name}:{where}")
        try:
            if "decoder" in r:
                decoder_factory(r["decoder"], **params)
        except PackError as exc:
            raise PackError(exc.message, where=f"{name}:{where}/decoder") from None
        out.append(
            TypeRule(
                when=compile_at(r["when"], f"{where}/when") if "when" in r else None,
                decoder=r.get("decoder"),
                params=params,
                guard=compile_at(r["guard"], f"{where}/guard") if "guard" in r else None,
                guard_message=r.get("guard_message", "the server's output format is not supported"),
            )
        )
    if not out or out[-1].when is not None or out[-1].decoder is None:
        raise PackError(
            "the last type rule must be a default (no 'when')", where=f"{name}:/row_codec/type_map"
        )
    return tuple(out)


def _compile_async(actions, compile_at, name, mname, messages, failures):
    from engine.wirevm.scripts import compile_actions

    return compile_actions(
        actions,
        compile_at,
        name,
        f"/async_messages/{mname}",
        messages,
        failures,
        scripts={},
        plugins={},
    )


@functools.lru_cache(maxsize=1)
def registry() -> dict:
    text = resources.files("transports").joinpath("registry.json").read_text(encoding="utf-8")
    return json.loads(text)


def registry_entry(scheme: str) -> dict:
    try:
        return dict(registry()["schemes"][scheme])
    except KeyError:
        from engine.errors import ConfigError

        known = ", ".join(sorted(registry()["schemes"]))
        raise ConfigError(f"unknown URL scheme {scheme!r} (known: {known})") from None


def pack_for_scheme(scheme: str) -> CompiledPack | dict:
    """The compiled wire pack for a URL scheme, or the registry entry itself when the family
    runs in-process (its entry has `inprocess`; the caller picks the backend from it)."""
    entry = registry_entry(scheme)
    if entry.get("inprocess"):
        return entry
    return load_pack(entry["pack"])

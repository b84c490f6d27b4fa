"""Plan JSON (`nublox.plan/1`): the file `sqlx plan:diff -o` writes and lint, apply and
rollback read.

- `to_json(plan)` writes every field of every record (defaults included), so a reader
  never guesses; `dumps` writes it with sorted keys and a two-space indent (operations,
  steps, hazards, findings keep their plan order: that order is meaning).
- `loads(text, where)` / `from_json(doc, where)` check the format version first (a plan of
  another version is refused, never half-read), then validate against the shipped JSON
  Schema `engine/planner/plan.schema.json` (no missing or extra fields, right types, known
  hazard / risk level / severity names), then check that every step kind has an executor,
  and rebuild the records exactly: `loads(dumps(p)) == p`, `capabilities` and `source`
  included. Any problem is a PlanError naming the file and the JSON path
  ("plan.json: /operations/2/steps/0/kind: ...").

Step params are JSON values; arrays in them read back as tuples (records are frozen and
hashable), so a producer that wants an exact round trip puts tuples, not lists, in params.
`capabilities` and `source` are free-form JSON objects and read back as dicts and lists.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from engine.errors import PlanError
from engine.planner.model import (
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

# --- writing -------------------------------------------------------------------------------


def _plain(value: Any, path: str) -> Any:
    """A JSON value for a free-form field; tuples become arrays, anything else non-JSON is
    refused (it would not read back)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PlanError(f"plan {path}: {value!r} is not JSON", path=path)
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise PlanError(f"plan {path}: keys must be strings, got {k!r}", path=path)
            out[k] = _plain(v, f"{path}/{k}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, f"{path}/{i}") for i, v in enumerate(value)]
    raise PlanError(f"plan {path}: {type(value).__name__} is not JSON", path=path)


def _ref(r: ObjectRef) -> dict:
    return {"kind": r.kind, "schema": r.schema, "name": r.name, "table": r.table}


def _step(s: Step, path: str) -> dict:
    params = {}
    for key, value in s.params:
        if not isinstance(key, str) or key in params:
            raise PlanError(f"plan {path}/params: bad or repeated key {key!r}", path=path)
        params[key] = _plain(value, f"{path}/params/{key}")
    return {"sql": s.sql, "kind": s.kind, "transactional": s.transactional, "params": params}


def _operation(op: Operation, path: str) -> dict:
    rollback = None
    if op.rollback is not None:
        rollback = [_step(s, f"{path}/rollback/{i}") for i, s in enumerate(op.rollback)]
    lock = op.lock
    return {
        "id": op.id,
        "kind": op.kind,
        "target": _ref(op.target),
        "steps": [_step(s, f"{path}/steps/{i}") for i, s in enumerate(op.steps)],
        "rollback": rollback,
        "irreversible": op.irreversible,
        "rationale": op.rationale,
        "risk": {"level": op.risk.level, "score": op.risk.score, "reasons": list(op.risk.reasons)},
        "lock": {
            "level": lock.level,
            "duration": lock.duration,
            "rewrites_table": lock.rewrites_table,
            "blocks_reads": lock.blocks_reads,
            "blocks_writes": lock.blocks_writes,
        },
        "strategy": op.strategy,
        "hazards": list(op.hazards),
        "lock_timeout_ms": op.lock_timeout_ms,
        "statement_timeout_ms": op.statement_timeout_ms,
        "depends_on": list(op.depends_on),
        "notes": list(op.notes),
    }


def finding_json(f: Finding) -> dict:
    return {
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "operation": f.operation,
        "explanation": f.explanation,
        "fix": f.fix,
    }


def _rename(r: Rename) -> dict:
    return {"kind": r.kind, "schema": r.schema, "old": r.old, "new": r.new, "table": r.table}


def to_json(plan: Plan) -> dict:
    """The plan's JSON document (a dict of plain JSON values)."""
    return {
        "format": plan.format,
        "dialect": plan.dialect,
        "source_hash": plan.source_hash,
        "target_hash": plan.target_hash,
        "target_hash_unordered": plan.target_hash_unordered,
        "operations": [_operation(o, f"/operations/{i}") for i, o in enumerate(plan.operations)],
        "findings": [finding_json(f) for f in plan.findings],
        "renames": [_rename(r) for r in plan.renames],
        "suspected_renames": [_rename(r) for r in plan.suspected_renames],
        "capabilities": _plain(dict(plan.capabilities), "/capabilities"),
        "source": _plain(dict(plan.source), "/source"),
    }


def dumps(plan: Plan) -> str:
    """Stable text: sorted keys, two-space indent, UTF-8 kept, trailing newline."""
    doc = to_json(plan)
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --- reading -------------------------------------------------------------------------------


@functools.cache
def plan_schema() -> dict:
    text = resources.files("engine.planner").joinpath("plan.schema.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(plan_schema())


def _fail(where: str, path: str, message: str) -> PlanError:
    return PlanError(f"{where}: {path or '/'}: {message}", where=where, path=path or "/")


def validate(doc: Any, where: str = "plan") -> None:
    """Raise PlanError naming `where` and the JSON path of the first problem in `doc`."""
    if not isinstance(doc, dict):
        raise _fail(where, "/", f"a plan is a JSON object, not {type(doc).__name__}")
    fmt = doc.get("format")
    if fmt != PLAN_FORMAT:
        what = "missing" if fmt is None else f"{fmt!r}"
        raise _fail(where, "/format", f"plan format {what} is not {PLAN_FORMAT!r} (this sqlx)")
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(doc))
    if error is not None:
        path = "/" + "/".join(str(p) for p in error.absolute_path)
        raise _fail(where, path if path != "/" else "", error.message)
    _check_step_kinds(doc, where)


def _check_step_kinds(doc: dict, where: str) -> None:
    from engine.planner.steps import executor_for

    for i, op in enumerate(doc["operations"]):
        for part in ("steps", "rollback"):
            for j, step in enumerate(op[part] or ()):
                try:
                    executor_for(step["kind"])
                except PlanError as exc:
                    raise _fail(where, f"/operations/{i}/{part}/{j}/kind", exc.message) from None


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _read_step(d: dict) -> Step:
    params = tuple(sorted((k, _tuples(v)) for k, v in d["params"].items()))
    return Step(sql=d["sql"], kind=d["kind"], transactional=d["transactional"], params=params)


def _read_operation(d: dict) -> Operation:
    rollback = None if d["rollback"] is None else tuple(_read_step(s) for s in d["rollback"])
    return Operation(
        id=d["id"],
        kind=d["kind"],
        target=ObjectRef(**d["target"]),
        steps=tuple(_read_step(s) for s in d["steps"]),
        rollback=rollback,
        irreversible=d["irreversible"],
        rationale=d["rationale"],
        risk=Risk(d["risk"]["level"], d["risk"]["score"], tuple(d["risk"]["reasons"])),
        lock=Lock(**d["lock"]),
        strategy=d["strategy"],
        hazards=tuple(d["hazards"]),
        lock_timeout_ms=d["lock_timeout_ms"],
        statement_timeout_ms=d["statement_timeout_ms"],
        depends_on=tuple(d["depends_on"]),
        notes=tuple(d["notes"]),
    )


def from_json(doc: Any, where: str = "plan") -> Plan:
    """A Plan from its JSON document, validated first (see the module docstring)."""
    validate(doc, where)
    return Plan(
        dialect=doc["dialect"],
        source_hash=doc["source_hash"],
        target_hash=doc["target_hash"],
        target_hash_unordered=doc["target_hash_unordered"],
        operations=tuple(_read_operation(o) for o in doc["operations"]),
        findings=tuple(Finding(**f) for f in doc["findings"]),
        renames=tuple(Rename(**r) for r in doc["renames"]),
        suspected_renames=tuple(Rename(**r) for r in doc["suspected_renames"]),
        capabilities=doc["capabilities"],
        source=doc["source"],
        format=doc["format"],
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def loads(text: str | bytes, where: str = "plan.json") -> Plan:
    """A Plan from its JSON text; `where` (the file name) prefixes every error message."""
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise _fail(where, "", f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise _fail(where, "", message) from None
    except ValueError as exc:
        raise _fail(where, "", f"not valid JSON: {exc}") from None
    return from_json(doc, where)

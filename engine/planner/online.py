"""Online strategies: rewrite diff's plain operations for what the live server can do.

`choose(ops, context)` takes the plain operations `engine.planner.diff` produced and, for
each, picks the first strategy its family allows (transports/flo/<family>/online.json,
rules per op kind, in order of preference) whose required capabilities the server was
learned to have (`context.capabilities`, from FLO's probes) and whose conditions hold for
the objects involved (the column's default is constant, the table has a primary key...).
The winning rule names a builder in `BUILDERS` that rewrites the op's steps (CONCURRENTLY,
NOT VALID + VALIDATE, an ALGORITHM clause, a shadow-table copy) and the rule's data gives
the new lock words, hazards, note and timeouts. Nothing here knows a family: a server that
says it can build indexes concurrently gets the concurrent rule its data file lists.

Why rules instead of code per family: which ALTER is online is a fact about a server
version, and facts change with releases; a JSON table is where a DBA can read and fix them.
When no rule applies the op stays plain and its notes say why (offline planning: no
capabilities at all, so every op stays plain with a note saying so).

Ops keep their id, kind, target and count; only steps, rollback, strategy, lock, hazards,
timeouts and notes change.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from sqlglot import exp

from engine.errors import ConfigError
from engine.ir.dialects import dialect_data
from engine.planner.model import Lock, Operation, PlanContext, Step

__all__ = ["BUILDERS", "CONDITIONS", "capabilities_of", "choose", "online_data"]


@functools.cache
def online_data(dialect: str) -> dict:
    """The dialect's online.json (empty rules when the family has none)."""
    folder = dialect_data(dialect).folder
    node = resources.files("transports").joinpath(f"{folder}/online.json")
    if not node.is_file():
        return {"kinds": {}}
    try:
        return json.loads(node.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"transports/{folder}/online.json: not valid JSON ({exc})") from None


def capabilities_of(server: Any) -> dict:
    """`PlanContext.capabilities` from a LearnedServer: every capability's `supported`,
    plus `server_version` / `server_flavour` for rules that depend on a release."""
    caps = {c.name: c.supported for c in server.capabilities}
    caps["server_version"] = ".".join(str(p) for p in server.version_tuple)
    caps["server_flavour"] = server.flavour
    return caps


def supported(caps: dict, name: str) -> bool:
    value = caps.get(name)
    if isinstance(value, dict):  # {"supported": ..., "evidence": ...}
        value = value.get("supported")
    return value not in (None, False, 0, "", [], ())


# ------------------------------------------------------------------------ environment
def quote(dialect: str, name: str) -> str:
    """Always-quoted identifier: generated SQL never depends on reserved-word lists."""
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


def literal(dialect: str, text: str) -> str:
    return exp.Literal.string(text).sql(dialect=dialect)


@dataclass
class Env:
    """What a condition or builder may consult about one op."""

    op: Operation
    context: PlanContext
    data: dict
    dialect: str
    schema: str
    table_name: str | None
    from_table: Any
    to_table: Any
    #: lock / note a builder derived itself (the shadow copy fills in its names)
    extra: dict = field(default_factory=dict)
    #: the plan's operations that run before this one (already chosen)
    earlier: tuple[Operation, ...] = ()

    def live_columns(self) -> list[str]:
        """The table's column names when this op runs: the current schema's, as the
        plan's earlier operations left them (a column added, dropped or renamed before a
        shadow copy must be copied under the name it has then, or its values are lost)."""
        names = [c.name for c in self.from_table.columns] if self.from_table is not None else []
        renamed = {(r.schema or "", r.table, r.new): r.old
                   for r in self.context.renames if r.kind == "column"}  # fmt: skip
        for op in self.earlier:
            t = op.target
            if t.kind != "column" or t.table != self.table_name or (t.schema or "") != self.schema:
                continue
            if op.kind == "add_column" and t.name not in names:
                names.append(t.name)
            elif op.kind == "drop_column" and t.name in names:
                names.remove(t.name)
            elif op.kind == "rename_column":
                old = renamed.get((self.schema, self.table_name, t.name))
                names = [t.name if n == old else n for n in names]
        return names

    def renamed_columns_earlier(self) -> list[str]:
        """Columns of this op's table an earlier operation of the plan renames."""
        return [
            op.target.name
            for op in self.earlier
            if op.kind == "rename_column"
            and op.target.table == self.table_name
            and (op.target.schema or "") == self.schema
        ]

    def q(self, name: str) -> str:
        return quote(self.dialect, name)

    def qualified(self, name: str) -> str:
        return f"{self.q(self.schema)}.{self.q(name)}" if self.schema else self.q(name)

    def column(self, side: str) -> Any:
        table = self.from_table if side == "from" else self.to_table
        if table is None or self.op.target.kind != "column":
            return None
        return table.column(self.op.target.name)

    def index(self) -> Any:
        t = self.to_table if self.to_table is not None else self.from_table
        if t is None:
            return None
        return next((i for i in t.indexes if i.name == self.op.target.name), None)

    def placeholders(self) -> dict[str, str]:
        target = self.op.target
        values = {
            "schema_lit": literal(self.dialect, self.schema),
            "name": self.q(target.name),
            "name_lit": literal(self.dialect, target.name),
            "index": self.qualified(target.name),
        }
        if self.table_name is not None:
            values["table"] = self.qualified(self.table_name)
            values["table_name"] = self.table_name
        if target.kind == "column":
            values["column"] = self.q(target.name)
            values["column_name"] = target.name
        return values


def make_env(op: Operation, context: PlanContext, data: dict) -> Env:
    target = op.target
    table_name = target.table if target.table else (target.name if target.kind == "table" else None)
    schema = target.schema or ""
    from_t = to_t = None
    if table_name is not None:
        if context.from_snapshot is not None:
            from_t = context.from_snapshot.table(schema, table_name)
        if context.to_snapshot is not None:
            to_t = context.to_snapshot.table(schema, table_name)
    return Env(op, context, data, context.dialect, schema, table_name, from_t, to_t)


# ------------------------------------------------------------------------- conditions
# name -> fn(expected, env) -> None when the condition holds, else the reason it does not
Condition = Callable[[Any, Env], str | None]
CONDITIONS: dict[str, Condition] = {}


def condition(name: str) -> Callable[[Condition], Condition]:
    def decorate(fn: Condition) -> Condition:
        CONDITIONS[name] = fn
        return fn

    return decorate


@condition("nullability")
def _nullability(expected: str, env: Env) -> str | None:
    col = env.column("to")
    if col is None:
        return "the column is not in the desired schema"
    now = "to_null" if col.nullable else "to_not_null"
    return None if now == expected else f"the change is {now.replace('_', ' ')}"


@condition("default")
def _default(expected: str, env: Env) -> str | None:
    col = env.column("to")
    if col is None:
        return "the column is not in the desired schema"
    pattern = env.data.get("volatile_default")
    if col.default is not None and pattern and re.search(pattern, col.default):
        return f"its default {col.default} is volatile (evaluated per row: a rewrite)"
    return None


@condition("generated")
def _generated(expected: bool, env: Env) -> str | None:
    col = env.column("to")
    is_generated = col is not None and col.generated is not None
    return None if is_generated == expected else "the column is generated"


@condition("auto_increment")
def _auto_increment(expected: bool, env: Env) -> str | None:
    col = env.column("to")
    is_auto = col is not None and col.identity == "auto_increment"
    return None if is_auto == expected else "an auto-increment column needs a table lock"


@condition("index_method_not_in")
def _index_method(excluded: list[str], env: Env) -> str | None:
    index = env.index()
    if index is None:
        return "the index is not in the desired schema"
    return f"a {index.method} index cannot be built online" if index.method in excluded else None


@condition("table_index_methods_not_in")
def _table_index_methods(excluded: list[str], env: Env) -> str | None:
    """Some online forms are refused for the whole table when it carries an index of a
    kind (InnoDB: no INSTANT or LOCK=NONE column change on a table with a FULLTEXT index)."""
    table = env.from_table
    found = sorted({i.method for i in (table.indexes if table else ()) if i.method in excluded})
    return f"the table has a {found[0]} index, which rules it out" if found else None


@condition("engine_in")
def _engine_in(engines: list[str], env: Env) -> str | None:
    """ALGORITHM=INSTANT/INPLACE forms are the InnoDB engine's: on another storage engine
    (Aria, MyISAM) the server refuses them, so the rule does not apply. An engine the
    catalog left out is the dialect's default (ir.json `table_option_defaults`)."""
    table = env.from_table
    if table is None:
        return None
    defaults = dialect_data(env.dialect).ir.get("table_option_defaults", {})
    engine = dict(table.options).get("engine") or defaults.get("engine") or ""
    wanted = {e.lower() for e in engines}
    return None if engine.lower() in wanted else f"the table's storage engine is {engine}"


@condition("min_version")
def _min_version(by_flavour: dict[str, str], env: Env) -> str | None:
    caps = env.context.capabilities
    flavour, version = caps.get("server_flavour"), caps.get("server_version")
    needed = by_flavour.get(flavour) if flavour else None
    if needed is None or not version:
        return "the server release is unknown"
    if _version_tuple(version) < _version_tuple(needed):
        return f"needs {flavour} {needed} (server is {version})"
    return None


@condition("type_change")
def _type_change(expected: str, env: Env) -> str | None:
    old, new = env.column("from"), env.column("to")
    if old is None or new is None:
        return "the column is missing on one side"
    if not _widening(old.type, new.type, env.data.get("type_widening", {})):
        return f"{old.type} -> {new.type} is not a catalog-only widening"
    crossing = _length_prefix_grows(old, new, env)
    return crossing


def _length_prefix_grows(old: Any, new: Any, env: Env) -> str | None:
    """A longer VARCHAR is a catalog-only change only while every value keeps the same
    length-prefix size (online.json `length_prefix`: InnoDB stores one byte up to 255
    bytes, two above); bytes per character come from the column's or table's charset."""
    spec = env.data.get("length_prefix")
    if not spec:
        return None
    charset = (new.collation or old.collation or "").split("_")[0]
    if not charset and env.from_table is not None:
        opts = dict(env.from_table.options)
        charset = opts.get("charset") or (opts.get("collation") or "").split("_")[0]
    per_char = spec["bytes_per_char"].get(charset.lower(), spec["default_bytes_per_char"])
    sizes = [int(m.group(2)) * per_char for m in (_TYPE.match(old.type), _TYPE.match(new.type))]
    if (sizes[0] <= spec["one_byte_max"]) != (sizes[1] <= spec["one_byte_max"]):
        return (
            f"{old.type} -> {new.type} moves values from a 1-byte to a 2-byte length prefix "
            f"({charset or 'default charset'}: {per_char} bytes per character), which "
            "rewrites the table"
        )
    return None


@condition("converts_every_value")
def _converts_every_value(expected: bool, env: Env) -> str | None:
    """A strategy that keeps a copy in step through triggers converts every write: a
    conversion that can fail (a narrowing, text to a number) would fail the table's
    writes while the copy exists. Only a widening is sure to convert every value."""
    from engine.planner.diff_columns import type_change

    old, new = env.column("from"), env.column("to")
    if old is None or new is None:
        return "the column is missing on one side"
    widening = old.type == new.type or type_change(old.type, new.type) == "widening"
    if widening == expected:
        return None
    return (
        f"{old.type} -> {new.type} may fail for some values, and the sync triggers would then "
        "fail the table's writes: the plain ALTER fails whole instead"
    )


@condition("unchanged")
def _unchanged(attributes: list[str], env: Env) -> str | None:
    old, new = env.column("from"), env.column("to")
    if old is None or new is None:
        return "the column is missing on one side"
    changed = [a for a in attributes if getattr(old, a) != getattr(new, a)]
    return f"its {', '.join(changed)} changes" if changed else None


@condition("primary_key")
def _primary_key(expected: bool, env: Env) -> str | None:
    has = env.from_table is not None and env.from_table.primary_key is not None
    return None if has == expected else "the table has no primary key to copy it by"


@condition("foreign_keys")
def _foreign_keys(expected: bool, env: Env) -> str | None:
    t = env.from_table
    if t is None:
        return "the table is not in the current schema"
    snap = env.context.from_snapshot
    referenced = any(
        fk.ref_table == t.name and (fk.ref_schema or "") == t.schema
        for other in snap.tables
        for fk in other.foreign_keys
        if other.key != t.key
    )
    has = bool(t.foreign_keys) or referenced
    return (
        None
        if has == expected
        else "foreign keys point from or to the table (a swap would break them)"
    )


@condition("triggers")
def _triggers(expected: bool, env: Env) -> str | None:
    snap = env.context.from_snapshot
    has = any(
        tr.table == env.table_name and tr.schema == env.schema and not tr.name.startswith("_sqlx_")
        for tr in getattr(snap, "triggers", ())
    )
    return (
        None
        if has == expected
        else "the table has triggers of its own (they would not follow a swap)"
    )


@condition("large")
def _large(expected: bool, env: Env) -> str | None:
    large = env.table_name is not None and env.context.is_large(env.schema, env.table_name)
    return None if large == expected else "the table is not large"


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", str(text))[:3])


_TYPE = re.compile(r"^\s*([a-z][a-z ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$", re.I)


def _widening(old: str, new: str, table: dict) -> bool:
    """Data-driven: base type -> target bases and how the length may change."""
    a, b = _TYPE.match(old), _TYPE.match(new)
    if not a or not b:
        return False
    rule = table.get(a.group(1).lower())
    if rule is None or b.group(1).lower() not in rule["to"]:
        return False
    old_n, new_n = a.group(2), b.group(2)
    kind = rule.get("param", "larger")
    if kind == "larger_or_none" and new_n is None:
        return True
    if old_n is None or new_n is None:
        return False
    if kind == "larger_same_scale" and a.group(3) != b.group(3):
        return False
    return int(new_n) >= int(old_n)


# --------------------------------------------------------------------------- builders
# name -> fn(op, rule, env) -> (steps, rollback) or a str reason the rule cannot apply
Built = tuple[tuple[Step, ...], tuple[Step, ...] | None]
Builder = Callable[[Operation, dict, Env], Built | str]
BUILDERS: dict[str, Builder] = {}


def builder(name: str) -> Callable[[Builder], Builder]:
    def decorate(fn: Builder) -> Builder:
        BUILDERS[name] = fn
        return fn

    return decorate


def fill(template: str, values: dict[str, Any]) -> str:
    return template.format_map(values)


@builder("relabel")
def _relabel(op: Operation, rule: dict, env: Env) -> Built | str:
    return op.steps, op.rollback


def _rewrite_steps(steps, pattern: str, replacement: str, transactional: bool | None):
    rx = re.compile(pattern, re.I | re.S)
    out, hits = [], 0
    for step in steps:
        if step.kind == "sql" and rx.search(step.sql):
            hits += 1
            sql = rx.sub(replacement, step.sql, count=1)
            tx = step.transactional if transactional is None else transactional
            step = replace(step, sql=sql, transactional=tx)
        out.append(step)
    return tuple(out), hits


def _rewrite_rollback(op: Operation, rule: dict) -> tuple[Step, ...] | None:
    spec = rule.get("rollback")
    if op.rollback is None or not spec:
        return op.rollback
    steps, _ = _rewrite_steps(op.rollback, spec["pattern"], spec["replace"],
                              spec.get("transactional"))  # fmt: skip
    return steps


@builder("rewrite")
def _rewrite(op: Operation, rule: dict, env: Env) -> Built | str:
    steps, hits = _rewrite_steps(op.steps, rule["pattern"], rule["replace"],
                                 rule.get("transactional"))  # fmt: skip
    if not hits:
        return "its SQL is not in the shape the strategy rewrites"
    return steps, _rewrite_rollback(op, rule)


def cleanup_step(sql: str, values: dict, rule: dict, *, transactional: bool) -> Step:
    """A step run by the `sql_with_cleanup` executor (engine.planner.online_steps)."""
    params: dict[str, Any] = {}
    for key, param in (("cleanup_sql", "cleanup"), ("invalid_index_sql", "cleanup_if"),
                       ("done_sql", "done_if")):  # fmt: skip
        if rule.get(key):
            params[param] = fill(rule[key], values)
    if rule.get("invalid_index_sql"):
        params["cleanup_first"] = True
    return Step(sql=sql, kind="sql_with_cleanup", transactional=transactional,
                params=tuple(sorted(params.items())))  # fmt: skip


@builder("concurrent_index")
def _concurrent_index(op: Operation, rule: dict, env: Env) -> Built | str:
    steps, hits = _rewrite_steps(op.steps, rule["pattern"], rule["replace"], False)
    if hits != 1:
        return "its SQL is not one CREATE INDEX statement"
    values = env.placeholders()
    out = tuple(
        cleanup_step(s.sql, values, rule, transactional=False)
        if s.kind == "sql" and not s.transactional
        else s
        for s in steps
    )
    return out, _rewrite_rollback(op, rule)


@builder("unique_via_index")
def _unique_via_index(op: Operation, rule: dict, env: Env) -> Built | str:
    t = env.to_table
    unique = next((u for u in t.uniques if u.name == op.target.name), None) if t else None
    if unique is None or unique.deferrable:
        return "the unique constraint is not a plain one in the desired schema"
    values = env.placeholders() | {"columns": ", ".join(env.q(c) for c in unique.columns)}
    build = cleanup_step(fill(rule["index_sql"], values), values, rule, transactional=False)
    attach = Step(sql=fill(rule["attach_sql"], values))
    return (build, attach), op.rollback


@builder("not_valid_validate")
def _not_valid_validate(op: Operation, rule: dict, env: Env) -> Built | str:
    if re.search(r"\bNOT\s+VALID\b", " ".join(op.sql), re.I):
        return "the desired constraint is itself NOT VALID: added as such, not validated"
    steps, hits = _rewrite_steps(op.steps, rule["pattern"], rule["replace"], False)
    if hits != 1 or env.table_name is None:
        return "its SQL is not one ADD CONSTRAINT statement"
    values = env.placeholders()
    validate = Step(
        sql=fill(rule["validate_sql"], values),
        kind="sql_with_cleanup",
        transactional=False,
        params=(("cleanup", f"ALTER TABLE {values['table']} DROP CONSTRAINT IF EXISTS "
                            f"{values['name']}"),),
    )  # fmt: skip
    return (*steps, validate), op.rollback


@builder("not_null_via_check")
def _not_null_via_check(op: Operation, rule: dict, env: Env) -> Built | str:
    if env.table_name is None or op.target.kind != "column":
        return "the target is not a column"
    values = env.placeholders()
    limit = int(env.context.capabilities.get("max_identifier_length") or 63)
    check = fill(rule["check_name"], values)[:limit]
    values["check"] = env.q(check)
    cleanup = fill(rule["cleanup_sql"], values)
    steps = []
    for i, template in enumerate(rule["steps"]):
        sql = fill(template, values)
        if i in (1, 2):  # validate / set not null: a failure must not leave the helper check
            params = (("cleanup", cleanup),)
            steps.append(Step(sql, "sql_with_cleanup", transactional=False, params=params))
        else:
            steps.append(Step(sql=sql, transactional=False))
    return tuple(steps), op.rollback


@builder("algorithm")
def _algorithm(op: Operation, rule: dict, env: Env) -> Built | str:
    """ALGORITHM/LOCK clauses appended; with `fallback` in the rule, each statement becomes
    a "sql_with_fallback" step listing the other forms, tried in order when the server
    refuses a form with an "algorithm not supported" error (never a more blocking one than
    the rule allows: the fallbacks are written in the data next to it)."""
    clauses = [(re.compile(c["pattern"], re.I), c["suffix"]) for c in env.data.get("clauses", ())]
    forms = [rule, *rule.get("fallback", ())]
    codes = tuple((env.data.get("errors", {}).get("algorithm_not_supported") or {}).get("code", ()))
    out = []
    for step in op.steps:
        if step.kind != "sql":
            return f"step kind {step.kind!r} takes no ALGORITHM clause"
        suffix = next((s for rx, s in clauses if rx.search(step.sql)), None)
        if suffix is None:
            return "its SQL is not a statement that takes ALGORITHM/LOCK clauses"
        sql = step.sql.rstrip().rstrip(";").rstrip()
        texts = [sql + fill(suffix, {"algorithm": f["algorithm"], "lock": f["lock_clause"]})
                 for f in forms]  # fmt: skip
        if len(texts) == 1:
            out.append(replace(step, sql=texts[0]))
        else:
            params = (("fallback_codes", codes), ("fallbacks", tuple(texts[1:])))
            out.append(replace(step, sql=texts[0], kind="sql_with_fallback", params=params))
    return tuple(out), op.rollback


@builder("shadow_copy")
def _shadow_copy(op: Operation, rule: dict, env: Env) -> Built | str:
    from engine.planner.shadow import build_shadow

    return build_shadow(op, rule, env)


@builder("shadow_column")
def _shadow_column(op: Operation, rule: dict, env: Env) -> Built | str:
    from engine.planner.shadow_column import build_shadow_column

    return build_shadow_column(op, rule, env)


# ----------------------------------------------------------------------------- choose
def _unmet(rule: dict, env: Env) -> str | None:
    caps = env.context.capabilities
    for name in rule.get("requires", ()):
        if not supported(caps, name):
            return f"the server does not support {name}"
    for name, expected in (rule.get("when") or {}).items():
        check = CONDITIONS.get(name)
        if check is None:
            raise ConfigError(f"online.json: unknown condition {name!r}")
        reason = check(expected, env)
        if reason:
            return reason
    return None


def _timeouts(op: Operation, data: dict) -> Operation:
    default = (data.get("timeouts") or {}).get("default") or {}
    lock_ms = op.lock_timeout_ms
    stmt_ms = op.statement_timeout_ms
    if lock_ms is None:
        lock_ms = default.get("lock_timeout_ms")
    if stmt_ms is None:
        stmt_ms = default.get("statement_timeout_ms")
    return replace(op, lock_timeout_ms=lock_ms, statement_timeout_ms=stmt_ms)


def _hazards(current: tuple[str, ...], spec: dict | None) -> tuple[str, ...]:
    spec = spec or {}
    removed = set(spec.get("remove", ()))
    out = [h for h in current if h not in removed]
    out += [h for h in spec.get("add", ()) if h not in out]
    return tuple(out)


def apply_rule(op: Operation, rule: dict, env: Env) -> Operation | str:
    """The op rewritten by `rule`, or the reason the rule cannot apply to it."""
    build = BUILDERS.get(rule["build"])
    if build is None:
        raise ConfigError(f"online.json: unknown build {rule['build']!r}")
    env.extra = {}
    built = build(op, rule, env)
    if isinstance(built, str):
        return built
    steps, rollback = built
    lock_words = env.extra.get("lock") or rule.get("lock")
    note = env.extra.get("note") or rule.get("note")
    return replace(
        op,
        steps=steps,
        rollback=rollback,
        irreversible=env.extra.get("irreversible", op.irreversible) if rollback is None else None,
        strategy=rule["strategy"],
        lock=Lock(**lock_words) if lock_words else op.lock,
        hazards=_hazards(op.hazards, rule.get("hazards")),
        notes=(*op.notes, note) if note else op.notes,
    )


def choose_one(
    op: Operation, context: PlanContext, data: dict, earlier: tuple[Operation, ...] = ()
) -> Operation:
    kinds, kind = data.get("kinds", {}), op.kind
    if kind not in kinds:
        kind = (data.get("aliases") or {}).get(kind, kind)
    rules = kinds.get(kind, ())
    notes_by_kind = data.get("unsupported_notes") or {}
    unsupported = notes_by_kind.get(op.kind) or notes_by_kind.get(kind)
    op = _timeouts(op, data)
    offline = not context.capabilities
    env = make_env(op, context, data)
    env.earlier = earlier
    reasons = []
    for rule in rules:
        if offline and not rule.get("offline"):
            continue
        reason = _unmet(rule, env)
        if reason is None:
            result = apply_rule(op, rule, env)
            if isinstance(result, Operation):
                return result
            reason = result
        reasons.append(f"{rule['strategy']}: {reason}")
    notes = list(op.notes)
    if offline and any(not r.get("offline") for r in rules):
        notes.append(data.get("offline_note") or "planned offline: plain strategy kept")
    elif reasons:
        notes.append("no online strategy applies (" + "; ".join(reasons) + "); plain kept")
    if unsupported:
        notes.append(unsupported)
    return replace(op, notes=tuple(notes))


def choose(ops, context: PlanContext) -> tuple[Operation, ...]:
    """Every op rewritten for the best online strategy the server allows (see module doc)."""
    data = online_data(context.dialect)
    out: list[Operation] = []
    for op in ops:
        out.append(choose_one(op, context, data, tuple(out)))
    return tuple(out)

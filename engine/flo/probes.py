"""The probe runner: executes the probes a family's `transports/flo/<family>/probes.json`
declares and turns each answer (or error) into a `Capability` with its `Evidence`.

Why data: whether a server has transactional DDL, how to bound a statement's time, which
error means "not supported" -- all differ per family and flavour. The runner knows only
*methods*:

- `query`: run one read-only statement (or try alternatives in order); success, a value
  or an expected value decides. Runs in the family's `query` mode (PostgreSQL: a READ ONLY
  transaction with `SET LOCAL statement_timeout`; MariaDB: `SET STATEMENT
  max_statement_time=N FOR ...` inside a READ ONLY transaction), always rolled back.
- `rollback`: run statements (DDL included) inside a transaction that is always rolled
  back, then an optional `verify` query; only families whose DDL is transactional declare
  a `rollback` mode, so a family without one (MariaDB: DDL auto-commits) cannot run it.
- `setting`: read a server setting through the family's `setting_sql` template.
- `each`: run a template once per value; `supported` is the list of values that worked.
- `version_at_least`: compare the learned version; evidence names the version and a note.
- `fact`: a documented fact, with the note saying where it comes from.

Every statement is bounded twice: the server-side timeout the mode declares, and a client
watchdog that cancels the session (`Session.cancel()`) shortly after, for families that
have no server-side timeout. A probe that cannot decide (permission denied, timed out)
yields `supported=None` with the error as evidence; only a broken connection propagates.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from engine import errors
from engine.flo.model import Capability, Evidence, jsonable
from engine.url import registry_entry

DEFAULT_TIMEOUT_MS = 5000
#: the client watchdog fires this long after the server-side timeout should have
WATCHDOG_GRACE_S = 2.0
#: answers longer than this many rows are cut in evidence (the value keeps them all)
EVIDENCE_ROWS = 50
METHODS = ("query", "rollback", "setting", "each", "version_at_least", "fact")
VALUE_KINDS = ("ok", "bool", "int", "text", "column", "row", "rows", "size")


# --- the family's data ----------------------------------------------------------------


def family_folder(scheme: str) -> str:
    """The FLO data folder for a URL scheme, from the registry (e.g. "flo/postgres")."""
    folder = registry_entry(scheme).get("flo")
    if not folder:
        raise errors.ConfigError(f"registry entry {scheme!r} names no FLO data folder ('flo')")
    return folder


def read_text(folder: str, name: str) -> str:
    node = resources.files("transports")
    for part in f"{folder}/{name}".split("/"):
        node = node / part
    try:
        return node.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise errors.ConfigError(f"transports/{folder}/{name} is missing") from None


def load_family(scheme: str) -> dict[str, Any]:
    """The parsed probes.json of the scheme's family, checked for shape."""
    folder = family_folder(scheme)
    try:
        data = json.loads(read_text(folder, "probes.json"))
    except ValueError as exc:
        raise errors.ConfigError(f"transports/{folder}/probes.json: {exc}") from None
    problems = check_family(data)
    if problems:
        raise errors.ConfigError(f"transports/{folder}/probes.json: {'; '.join(problems)}")
    data["_folder"] = folder
    return data


def check_family(data: dict[str, Any]) -> list[str]:
    """Structural problems in a family's probe data (empty when fine). Also run by tests."""
    problems = [f"missing {k!r}" for k in ("family", "version", "flavour", "run") if k not in data]
    modes = set(data.get("run") or {})
    for name, mode in (data.get("run") or {}).items():
        if "{sql}" not in mode.get("wrap", "{sql}"):
            problems.append(f"run.{name}.wrap must contain {{sql}}")
        if not isinstance(mode.get("batch", False), bool):
            problems.append(f"run.{name}.batch must be true or false")
    for section in ("capabilities", "security"):
        names: set[str] = set()
        for index, probe in enumerate(data.get(section) or []):
            where = f"{section}[{index}]"
            variants = [probe, *((probe.get("by_flavour") or {}).values())]
            if probe.get("name") in names:
                problems.append(f"{where}: duplicate name {probe.get('name')!r}")
            names.add(probe.get("name"))
            for variant in variants:
                merged = {**probe, **variant}
                method = merged.get("method")
                if method not in METHODS:
                    problems.append(f"{where}: unknown method {method!r}")
                    continue
                if method == "fact" and "supported" not in merged:
                    problems.append(f"{where}: a fact needs 'supported'")
                if merged.get("value", "ok") not in VALUE_KINDS:
                    problems.append(f"{where}: unknown value kind {merged.get('value')!r}")
                mode = merged.get("mode") or mode_of(method)
                if method in ("query", "rollback", "setting", "each") and mode not in modes:
                    problems.append(f"{where}: method {method} needs run mode {mode!r}")
    return problems


def mode_of(method: str) -> str:
    return "rollback" if method == "rollback" else "query"


def resolve(probe: dict[str, Any], flavour: str) -> dict[str, Any]:
    """The probe as it applies to this flavour: the `by_flavour` entry overlays the base."""
    overlay = (probe.get("by_flavour") or {}).get(flavour) or {}
    merged = {k: v for k, v in probe.items() if k != "by_flavour"}
    merged.update(overlay)
    return merged


# --- running --------------------------------------------------------------------------


@dataclass
class ProbeContext:
    """What probes may consult: the session, the family data, and what was learned so far."""

    session: Any
    family: dict[str, Any]
    flavour: str = ""
    version: str = ""
    version_tuple: tuple[int, ...] = ()
    variables: dict[str, Any] = field(default_factory=dict)

    def run_mode(self, name: str) -> dict[str, Any]:
        modes = dict(self.family.get("run") or {})
        modes.update((self.family.get("run_by_flavour") or {}).get(self.flavour) or {})
        mode = modes.get(name)
        if mode is None:
            raise errors.ConfigError(
                f"transports/{self.family.get('_folder')}/probes.json declares no run mode "
                f"{name!r} (this family cannot run such probes)"
            )
        return mode


@dataclass
class Outcome:
    """One run of statements: the last result (or the error that stopped it)."""

    statements: list[str]
    own: list[str] = field(default_factory=list)
    result: Any = None
    error: errors.ServerError | None = None
    elapsed_ms: float = 0.0


class Watchdog:
    """Cancels the session if a run outlives its bound (server-side timeouts are data and
    some families have none); a cancel landing after the run finished is a no-op."""

    def __init__(self, session: Any, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._fire, args=(session,))
        self._timer.daemon = True

    @staticmethod
    def _fire(session: Any) -> None:
        with contextlib.suppress(errors.EngineError):
            session.cancel()

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def run_statements(ctx: ProbeContext, statements: list[str], mode_name: str, timeout_ms: int):
    """Run `statements` in a run mode: its `before` statements, each statement (through
    its `wrap` template), then its `after` statements whatever happened (the rollback)."""
    mode = ctx.run_mode(mode_name)
    values = {"timeout_ms": int(timeout_ms), "timeout_s": round(timeout_ms / 1000.0, 3)}
    before = [s.format(**values) for s in mode.get("before") or ()]
    after = [s.format(**values) for s in mode.get("after") or ()]
    wrap = mode.get("wrap") or "{sql}"
    body = [wrap.format(sql=s, **values) for s in statements]  # the SQL is never a template
    outcome = Outcome(statements=[*before, *body, *after], own=list(statements))
    session = ctx.session
    started = time.perf_counter()
    batch = bool(mode.get("batch"))
    with Watchdog(session, timeout_ms / 1000.0 + WATCHDOG_GRACE_S):
        ended = False
        try:
            if batch:
                ended, outcome.result = _in_one_message(session, outcome.statements, len(after))
            if not ended:
                for sql in before:
                    session.query(sql)
                for sql in body:
                    outcome.result = session.query(sql)
        except errors.ServerError as exc:
            outcome.error = exc
        finally:
            if not ended:
                for sql in after:
                    session.query(sql)
    outcome.elapsed_ms = round((time.perf_counter() - started) * 1000.0, 3)
    return outcome


def _in_one_message(session: Any, statements: list[str], after: int) -> tuple[bool, Any]:
    """A run mode's statements, its `after` ones included, sent as one multi-statement
    query (run mode `"batch": true`, for families whose servers run one): one round trip
    instead of one per statement, some 140 fewer for a server's probes. The same answers
    and the same first error (the server skips the rest of the message after one; the
    caller then sends `after` on its own). (True, the body's last result), or (False,
    None) when the server did not answer statement by statement (nothing is lost: the
    run is read-only or rolled back, and the caller runs it again one by one)."""
    texts = [s.strip().removesuffix(";").rstrip() for s in statements]
    if not all(texts):
        return False, None
    answer = session.query("\n;\n".join(texts))
    results = answer.results or [answer]
    if len(results) != len(texts):
        return False, None
    return True, results[len(texts) - after - 1]


def extract(result: Any, kind: str) -> Any:
    """The value a probe wants from a Result."""
    rows = list(result.rows) if result is not None else []
    names = list(result.column_names) if result is not None else []
    first = rows[0][0] if rows and rows[0] else None
    if kind == "ok":
        return True
    if kind == "column":
        return [jsonable(r[0]) for r in rows]
    if kind == "row":
        return {n: jsonable(v) for n, v in zip(names, rows[0], strict=False)} if rows else None
    if kind == "rows":
        return [{n: jsonable(v) for n, v in zip(names, r, strict=False)} for r in rows]
    if first is None:
        return None
    return CONVERT[kind](first)


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true", "on", "yes")
    return bool(value)


SIZE_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def _as_size(value: Any) -> int:
    """A size as a server prints it ("2MB", "8kB", 16777216) -> bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", str(value))
    if not match or match.group(2).upper() not in SIZE_UNITS:
        raise errors.DataError(f"not a size: {value!r}", raw=str(value))
    return int(match.group(1)) * SIZE_UNITS[match.group(2).upper()]


CONVERT = {"bool": _as_bool, "int": lambda v: int(str(v).strip()), "text": str, "size": _as_size}


def matches_error(rules: dict[str, Any] | None, exc: errors.ServerError) -> bool:
    """Does a server error match {"sqlstate": [...], "code": [...], "message": [regex...]}?"""
    if not rules:
        return False
    if exc.sqlstate and exc.sqlstate in (rules.get("sqlstate") or ()):
        return True
    if exc.code is not None and exc.code in (rules.get("code") or ()):
        return True
    return any(re.search(p, exc.message or "") for p in rules.get("message") or ())


def error_facts(exc: errors.ServerError, redact: list[str]) -> dict[str, Any]:
    return {
        "code": exc.code,
        "sqlstate": exc.sqlstate,
        "message": redacted(" ".join(str(exc.message).split()), redact),
        "class": type(exc).__name__,
    }


def redacted(value: Any, patterns: list[str]) -> Any:
    """Apply redaction regexes (e.g. password hashes in SHOW GRANTS) to every string."""
    if not patterns:
        return value
    if isinstance(value, str):
        for pattern in patterns:
            value = re.sub(pattern, "****", value)
        return value
    if isinstance(value, list):
        return [redacted(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: redacted(v, patterns) for k, v in value.items()}
    return value


def parse_version(text: str, pattern: str) -> tuple[int, ...]:
    match = re.search(pattern, text or "")
    if not match:
        return ()
    return tuple(int(g) for g in match.groups() if g is not None)


def version_tuple_of(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", str(text)))


# --- methods --------------------------------------------------------------------------


class ProbeRun:
    """Runs one resolved probe; each method is a small function of the same shape."""

    def __init__(self, ctx: ProbeContext, probe: dict[str, Any]) -> None:
        self.ctx = ctx
        self.probe = probe
        family = ctx.family
        self.timeout_ms = int(probe.get("timeout_ms") or family.get("timeout_ms") or 5000)
        self.redact = list(family.get("redact") or ()) + list(probe.get("redact") or ())
        self.mode = probe.get("mode") or mode_of(probe["method"])

    def capability(self, supported: Any, evidence: Evidence) -> Capability:
        return Capability(
            name=self.probe["name"],
            supported=redacted(jsonable(supported), self.redact),
            evidence=evidence,
            description=self.probe.get("description", ""),
        )

    def unsupported_rules(self) -> dict[str, Any]:
        """Errors meaning "not supported": the probe's own, else the family's (security
        facts declare `"unsupported": {}`: an error there only means undecided)."""
        if "unsupported" in self.probe:
            return self.probe["unsupported"] or {}
        return self.ctx.family.get("unsupported") or {}

    def decide(self, outcome: Outcome, method: str) -> Capability:
        """Turn a run into a Capability: an error may mean unsupported (by the probe's or
        the family's rules), supported (a probe expecting an error, e.g. a CHECK violation
        proves CHECK is enforced), or undecided."""
        probe = self.probe
        note = probe.get("note", "")
        query = tuple(outcome.statements)
        own = outcome.own[0] if len(outcome.own) == 1 else tuple(outcome.own)
        if outcome.error is not None:
            exc = outcome.error
            error = error_facts(exc, self.redact)
            evidence = Evidence(method, query, None, error, outcome.elapsed_ms, note, own)
            if matches_error(probe.get("supported_if_error"), exc):
                return self.capability(probe.get("when_supported", True), evidence)
            unsupported = self.unsupported_rules()
            if isinstance(exc, errors.QueryCanceled):
                return self.capability(None, evidence)
            if matches_error(unsupported, exc):
                return self.capability(probe.get("when_unsupported", False), evidence)
            return self.capability(None, evidence)
        try:
            value = extract(outcome.result, probe.get("value", "ok"))
        except (errors.DataError, ValueError, TypeError) as exc:
            evidence = Evidence(
                method, query, None, {"message": str(exc)}, outcome.elapsed_ms, "", own
            )
            return self.capability(None, evidence)
        answer = redacted(jsonable(value), self.redact)
        if isinstance(answer, list) and len(answer) > EVIDENCE_ROWS:
            answer = [*answer[:EVIDENCE_ROWS], f"... {len(answer) - EVIDENCE_ROWS} more"]
        evidence = Evidence(method, query, answer, None, outcome.elapsed_ms, note, own)
        if "expect" in probe:
            ok = value == probe["expect"]
            return self.capability(probe.get("when_supported", True) if ok else False, evidence)
        if "when_supported" in probe:
            return self.capability(probe["when_supported"], evidence)
        return self.capability(value, evidence)

    def run_query(self) -> Capability:
        alternatives = self.probe["sql"]
        alternatives = [alternatives] if isinstance(alternatives, str) else list(alternatives)
        cap = None
        for sql in alternatives:
            outcome = run_statements(self.ctx, [sql], self.mode, self.timeout_ms)
            cap = self.decide(outcome, "query")
            if cap.supported not in (False, None):
                return cap
        return cap

    def run_setting(self) -> Capability:
        template = self.ctx.family.get("setting_sql")
        if not template:
            raise errors.ConfigError(f"{self.ctx.family.get('_folder')}: no setting_sql")
        sql = template.replace("{name}", self.probe["setting"])
        outcome = run_statements(self.ctx, [sql], self.mode, self.timeout_ms)
        return self.decide(outcome, "setting")

    def run_rollback(self) -> Capability:
        statements = list(self.probe["sql"])
        outcome = run_statements(self.ctx, statements, self.mode, self.timeout_ms)
        verify = self.probe.get("verify")
        if outcome.error is not None or not verify:
            return self.decide(outcome, "rollback")
        check = run_statements(self.ctx, [verify], "query", self.timeout_ms)
        check.statements = outcome.statements + check.statements
        check.own = outcome.own + check.own
        check.elapsed_ms = round(check.elapsed_ms + outcome.elapsed_ms, 3)
        return self.decide(check, "rollback")

    def run_each(self) -> Capability:
        offered: list[Any] = []
        answers: dict[str, Any] = {}
        statements: list[str] = []
        elapsed = 0.0
        template = self.probe["sql"]
        for item in self.probe["values"]:
            label, spelled = (item, item) if isinstance(item, str) else (item["value"], item["sql"])
            sql = [s.replace("{value}", spelled) for s in self.probe["sql"]]
            outcome = run_statements(self.ctx, sql, self.mode, self.timeout_ms)
            statements += outcome.statements
            elapsed += outcome.elapsed_ms
            if outcome.error is not None:
                answers[label] = error_facts(outcome.error, self.redact)
                if not isinstance(outcome.error, errors.QueryCanceled) and not matches_error(
                    self.unsupported_rules(),
                    outcome.error,
                ):
                    answers[label]["undecided"] = True
                continue
            answers[label] = jsonable(extract(outcome.result, self.probe.get("value", "ok")))
            offered.append(label)
        note = self.probe.get("note", "")
        own = template[0] if len(template) == 1 else tuple(template)
        evidence = Evidence("each", tuple(statements), answers, None, round(elapsed, 3), note, own)
        return self.capability(offered, evidence)

    def run_version_at_least(self) -> Capability:
        wanted = version_tuple_of(self.probe["version"])
        have = self.ctx.version_tuple
        ok = bool(have) and have >= wanted
        answer = {
            "version": self.ctx.version,
            "version_tuple": list(have),
            "at_least": self.probe["version"],
            "result": ok,
        }
        sql = self.ctx.variables.get("version_sql")
        note = self.probe.get("note", "")
        evidence = Evidence("version_at_least", sql, answer, None, 0.0, note, sql)
        if not have:
            return self.capability(None, evidence)
        value = self.probe.get("when_supported", True) if ok else False
        return self.capability(value, evidence)

    def run_fact(self) -> Capability:
        evidence = Evidence("fact", None, None, None, 0.0, self.probe.get("note", ""))
        return self.capability(self.probe.get("supported"), evidence)


METHOD_RUNNERS = {
    "query": ProbeRun.run_query,
    "setting": ProbeRun.run_setting,
    "rollback": ProbeRun.run_rollback,
    "each": ProbeRun.run_each,
    "version_at_least": ProbeRun.run_version_at_least,
    "fact": ProbeRun.run_fact,
}


def run_probe(ctx: ProbeContext, probe: dict[str, Any]) -> Capability:
    """Run one probe (as resolved for the context's flavour)."""
    resolved = resolve(probe, ctx.flavour)
    return METHOD_RUNNERS[resolved["method"]](ProbeRun(ctx, resolved))


def run_probes(ctx: ProbeContext, section: str) -> tuple[Capability, ...]:
    """Every probe of a section, in declaration order. In "security" an error never means
    "unsupported" (a refused grant query says nothing about a feature), only undecided."""
    probes = ctx.family.get(section) or ()
    if section == "security":
        probes = [{"unsupported": {}, **p} for p in probes]
    return tuple(run_probe(ctx, p) for p in probes)

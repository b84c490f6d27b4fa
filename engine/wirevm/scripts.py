"""Scripts: the handshake, auth and command state machines a pack declares (§2.7).

A script is a set of named states; each state either runs actions and moves on (`do` +
`goto`), picks the first matching branch (`branch`), or consumes exactly one inbound message
(`on`, with the dispatch table that classifies it). Actions are a closed list (send, set,
require, emit, start_tls, ...). Everything is compiled once with the pack; running a script
is a loop over tuples.

Why this is safe to interpret: an inbound message the current state does not list is a
ProtocolError; `read_raw`, `start_tls` and `run` can only end an action list (they suspend
the script); `max_steps` bounds the steps a script may take without consuming input, and
the core caps auth rounds, so no server can keep the client looping. A `send` into a field
marked `secret` must follow a `require` in the same action list (the policy check sits next
to the place the password leaves).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import PackError, ProtocolError

TERMINAL = ("read_raw", "start_tls", "run", "run_plugin")
EVENT_ARGS = {
    "Ready": ("tx_status",),
    "ResultDone": ("rowcount", "last_insert_id", "warnings", "command_tag", "more_results"),
    "Notice": ("fields",),
    "Notification": ("pid", "channel", "payload"),
    "ParameterChanged": ("name", "value"),
}


@dataclass
class StateDef:
    name: str
    kind: str  # "do" | "branch" | "on"
    actions: list = field(default_factory=list)
    goto: str | None = None
    branches: list = field(default_factory=list)  # [(cond, actions, goto)]
    handlers: dict = field(default_factory=dict)  # event -> [(cond, actions, goto)]
    dispatch: str | None = None
    rows: bool = False


@dataclass
class ScriptDef:
    name: str
    start: str
    max_steps: int
    states: dict[str, StateDef]


class _Checker:
    def __init__(self, pack: str, messages, failures, scripts, plugins) -> None:
        self.pack, self.messages, self.failures = pack, messages, failures
        self.scripts, self.plugins = scripts, plugins

    def err(self, what: str, path: str) -> PackError:
        return PackError(what, where=f"{self.pack}:{path}")


def compile_actions(
    actions: list, compile_at, pack: str, path: str, messages, failures, scripts, plugins
) -> list[tuple]:
    chk = _Checker(pack, messages, failures, scripts, plugins)
    out: list[tuple] = []
    required = False
    for i, a in enumerate(actions):
        op, args, where = a[0], a[1:], f"{path}/{i}"
        if op in TERMINAL and i != len(actions) - 1:
            raise chk.err(f"{op!r} must be the last action of its list", where)
        out.append(_compile_action(op, args, compile_at, chk, where, required))
        # auth_response applies the plugin's own `require` before computing the answer
        required = required or op in ("require", "auth_response")
    return out


def _compile_action(op, args, compile_at, chk: _Checker, where: str, required: bool) -> tuple:
    def expr(i: int):
        return compile_at(args[i], f"{where}/{i + 1}")

    def fail_code(code: str) -> str:
        if code not in chk.failures:
            raise chk.err(f"unknown failure code {code!r}", where)
        return code

    if op == "send":
        msg = chk.messages.get(args[0])
        if msg is None or msg.spec.get("dir") != "out":
            raise chk.err(f"unknown outbound message {args[0]!r}", f"{where}/1")
        values = args[1] if len(args) > 1 else {}
        secret = {f.get("name") for f in msg.spec.get("fields", []) if f.get("secret")}
        if secret & set(values) and not required:
            raise chk.err("a secret field is sent without a preceding 'require'", where)
        return ("send", args[0], {k: compile_at(v, f"{where}/2/{k}") for k, v in values.items()})
    if op == "read_raw":
        return ("read_raw", int(args[0]), args[1])
    if op in ("set", "append"):
        return (op, args[0], expr(1))
    if op == "put":
        return ("put", args[0], expr(1), expr(2))
    if op == "require":
        return ("require", expr(0), fail_code(args[1]))
    if op in ("start_tls", "reset_seq"):
        return (op,)
    if op == "run":
        if args[0] not in chk.scripts:
            raise chk.err(f"unknown script {args[0]!r}", where)
        return ("run", args[0])
    if op == "run_plugin":
        return ("run_plugin", expr(0))
    if op == "auth_response":
        return ("auth_response", expr(0), expr(1), args[2])
    if op == "emit":
        if args[0] not in EVENT_ARGS:
            raise chk.err(f"unknown event {args[0]!r}", f"{where}/1")
        vals = args[1] if len(args) > 1 else {}
        bad = set(vals) - set(EVENT_ARGS[args[0]])
        if bad:
            raise chk.err(f"event {args[0]} has no argument {sorted(bad)[0]!r}", where)
        return ("emit", args[0], {k: compile_at(v, f"{where}/2/{k}") for k, v in vals.items()})
    if op in ("fail", "refuse"):
        return (op, fail_code(args[0]))
    if op in ("fail_with", "server_error", "columns"):
        return (op, expr(0))
    raise chk.err(f"unknown action {op!r}", where)


def _goto(target: str | None, states: dict, chk: _Checker, where: str) -> str | None:
    if target is None or target in ("@done", "@return", "@fail") or target in states:
        return target
    raise chk.err(f"goto to a missing state {target!r}", where)


def compile_scripts(
    spec: dict,
    compile_at,
    pack: str,
    messages,
    names_ok: set,
    failures,
    plugins: dict,
    dispatch_tables: dict,
    dispatch_by: str,
) -> dict[str, ScriptDef]:
    scripts: dict[str, ScriptDef] = {}
    chk = _Checker(pack, messages, failures, spec, plugins)

    def acts(actions, path):
        return compile_actions(actions, compile_at, pack, path, messages, failures, spec, plugins)

    for sname, s in spec.items():
        states: dict[str, StateDef] = {}
        base = f"/scripts/{sname}/states"
        for st_name, st in s["states"].items():
            p = f"{base}/{st_name}"
            if "on" in st:
                d = st.get("dispatch")
                if dispatch_by == "first_byte" and d not in dispatch_tables:
                    raise chk.err(f"unknown dispatch table {d!r}", f"{p}/dispatch")
                handlers = {}
                for ev, hs in st["on"].items():
                    if ev not in names_ok:
                        raise chk.err(f"unknown message or event {ev!r}", f"{p}/on/{ev}")
                    hs = hs if isinstance(hs, list) else [hs]
                    handlers[ev] = [
                        (
                            compile_at(h["when"], f"{p}/on/{ev}/{i}/when") if "when" in h else None,
                            acts(h.get("do", []), f"{p}/on/{ev}/{i}/do"),
                            h.get("goto"),
                        )
                        for i, h in enumerate(hs)
                    ]
                states[st_name] = StateDef(
                    st_name, "on", handlers=handlers, dispatch=d, rows=bool(st.get("rows"))
                )
            elif "branch" in st:
                branches = [
                    (
                        compile_at(b["when"], f"{p}/branch/{i}/when") if "when" in b else None,
                        acts(b.get("do", []), f"{p}/branch/{i}/do"),
                        b.get("goto"),
                    )
                    for i, b in enumerate(st["branch"])
                ]
                states[st_name] = StateDef(st_name, "branch", branches=branches)
            else:
                states[st_name] = StateDef(
                    st_name, "do", actions=acts(st.get("do", []), f"{p}/do"), goto=st.get("goto")
                )
        for st_name, st in states.items():
            p = f"{base}/{st_name}"
            _goto(st.goto, states, chk, f"{p}/goto")
            for i, (_, _, g) in enumerate(st.branches):
                _goto(g, states, chk, f"{p}/branch/{i}/goto")
            for ev, hs in st.handlers.items():
                for i, (_, _, g) in enumerate(hs):
                    _goto(g, states, chk, f"{p}/on/{ev}/{i}/goto")
        if s["start"] not in states:
            raise chk.err(f"start state {s['start']!r} is missing", f"/scripts/{sname}/start")
        scripts[sname] = ScriptDef(sname, s["start"], int(s.get("max_steps", 64)), states)
    return scripts


class Runner:
    """One running script (and the sub-scripts it called). The machine (the core) performs
    actions; the runner only walks states, so it stays small and testable."""

    def __init__(self, scripts: dict[str, ScriptDef]) -> None:
        self.scripts = scripts
        self.stack: list[list] = []  # [script, state name, return goto]
        self.steps = 0

    @property
    def active(self) -> bool:
        return bool(self.stack)

    def start(self, name: str) -> None:
        s = self.scripts[name]
        self.stack = [[s, s.start, None]]
        self.steps = 0

    def call(self, name: str, return_to: str | None) -> None:
        s = self.scripts[name]
        self.stack.append([s, s.start, return_to])

    def state(self) -> StateDef:
        script, st, _ = self.stack[-1]
        return script.states[st]

    def tick(self) -> None:
        script = self.stack[-1][0]
        self.steps += 1
        if self.steps > script.max_steps:
            raise ProtocolError(f"script {script.name!r} exceeded {script.max_steps} steps")

    def consumed(self) -> None:
        self.steps = 0

    def goto(self, target: str | None) -> None:
        """Move to `target`; '@done' ends the script, '@return' resumes the caller."""
        if target is None:
            return
        if target == "@fail":
            raise ProtocolError(f"script {self.stack[-1][0].name!r} reached @fail")
        if target in ("@done", "@return"):
            _, _, ret = self.stack.pop()
            if self.stack and ret is not None:
                self.goto(ret)
            elif self.stack and target == "@done":
                self.stack.clear()
            return
        self.stack[-1][1] = target

    @staticmethod
    def pick(options: list, scope) -> tuple[Any, list, str | None] | None:
        for cond, actions, goto in options:
            if cond is None or cond(scope):
                return cond, actions, goto
        return None

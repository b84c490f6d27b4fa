"""`sqlx plan:diff`, `sqlx lint`, `sqlx apply`, `sqlx rollback`: the planner's commands.

Kept apart from engine/cli.py (connect/learn commands) so each file stays one concern;
engine/cli.py registers these handlers and owns the parser, exit codes and error lines.

What a DBA sees before anything runs: every operation with its strategy, lock, risk and
hazards; the SQL with `--sql`; the findings. Apply asks for the plan's hazards to be
accepted (a typed "yes" on a terminal, or `--yes`), refuses destructive operations without
`--allow-destructive`, and reports where it stopped when it fails, with the command that
resumes or rolls back.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Iterator
from typing import Any

from engine import errors
from engine.cli_output import Progress, cell, dumps_json, key_values, table
from engine.gcpause import paused


def add_plan_commands(add: Any, connecting: Any) -> None:
    """Add the planner's subcommands to the `sqlx` parser (`add(name, help)` makes one)."""
    p = add("plan:diff", "diff two schemas (URL, snapshot .json or DDL .sql) into a plan")
    p.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="SRC",
        help="the schema as it is: a URL, a snapshot .json or a .sql file",
    )
    p.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="DST",
        help="the schema as it should be: a URL, a snapshot .json or a .sql file",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the plan JSON here")
    p.add_argument("--sql", action="store_true", help="print the plan as an SQL script")
    p.add_argument("--json", action="store_true", help="print the plan JSON on stdout")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also exit 1 on high-risk warnings (errors always exit 1)",
    )
    p.add_argument(
        "--dialect",
        choices=("postgres", "mysql", "sqlite"),
        help="dialect of .sql files when neither side says it",
    )
    p.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="KIND:OLD=NEW",
        help="declare a rename, e.g. table:orders=purchases, column:orders.name=full_name, "
        "constraint:orders.orders_ref_key=orders_code_key, index:OLD=NEW, view:OLD=NEW "
        "(repeatable)",
    )
    p.add_argument(
        "--parse-only",
        action="store_true",
        help="read a .sql side with the parser only (by default, when the other side is a "
        "live server, the file is run in a scratch database there and learned back)",
    )
    p.add_argument(
        "--large-table-rows",
        type=int,
        default=100_000,
        metavar="N",
        help="tables with at least N rows count as large (default 100000)",
    )

    p = add("lint", "show a plan's findings (errors, warnings) and check the plan file")
    p.add_argument("plan", metavar="PLAN.json")
    p.add_argument("--strict", action="store_true", help="high-risk warnings also fail")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")

    p = add("apply", "apply a plan to a database, with checkpoints and verification")
    connecting(p)
    p.add_argument("--plan", required=True, metavar="PLAN.json")
    p.add_argument(
        "--dry-run", action="store_true", help="check everything and print the SQL; change nothing"
    )
    p.add_argument("--yes", action="store_true", help="accept the plan's hazards")
    p.add_argument(
        "--allow-destructive",
        action="store_true",
        help="allow operations that lose data (DATA_LOSS)",
    )
    p.add_argument(
        "--rehearse",
        action="store_true",
        help="first apply it to a scratch copy built from the live schema",
    )
    p.add_argument("--database", metavar="NAME", help="the database (default: the URL's)")
    p.add_argument(
        "--throttle-ms",
        type=int,
        default=0,
        metavar="MS",
        help="pause between copy chunks of a shadow-table copy",
    )
    p.add_argument("--json", action="store_true", help="print the apply report as JSON")

    p = add("rollback", "undo an applied (or half-applied) plan, newest operation first")
    connecting(p)
    p.add_argument("--plan", required=True, metavar="PLAN.json")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--allow-destructive", action="store_true", help="allow rollback steps that lose data"
    )
    p.add_argument("--database", metavar="NAME", help="the database (default: the URL's)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


# --- plan:diff -------------------------------------------------------------------------


#: rename kind -> does the old name come after its table (TABLE.OLD)?
RENAME_KINDS = {"table": False, "view": False, "index": False, "column": True, "constraint": True}


def parse_renames(values: list[str]) -> tuple[Any, ...]:
    """`table:old=new`, `column:table.old=new`, `constraint:table.old=new`, `index:old=new`,
    `view:old=new`; `[schema.]` before the table (or object) name."""
    from engine.planner.model import Rename

    out = []
    for value in values:
        kind, sep, rest = value.partition(":")
        old, eq, new = rest.partition("=")
        if not sep or not eq or not old or not new or kind not in RENAME_KINDS:
            raise errors.ConfigError(
                f"--rename {value!r}: write table:OLD=NEW, view:OLD=NEW, index:OLD=NEW, "
                "column:TABLE.OLD=NEW or constraint:TABLE.OLD=NEW"
            )
        parts = old.split(".")
        if RENAME_KINDS[kind]:
            if len(parts) < 2:
                raise errors.ConfigError(f"--rename {value!r}: a {kind} needs TABLE.OLD=NEW")
            schema = parts[-3] if len(parts) > 2 else ""
            out.append(Rename(kind, schema, parts[-1], new, table=parts[-2]))
        else:
            schema = parts[-2] if len(parts) > 1 else ""
            out.append(Rename(kind, schema, parts[-1], new))
    return tuple(out)


def cmd_plan_diff(args: argparse.Namespace) -> int:
    renames = parse_renames(args.rename)
    # the planner (and sqlglot) is imported after the sides are under way: a live source
    # side is learned by a child process, which can start before those imports
    with sides_kept():
        loaded = load_sides(args.source, args.target, args.dialect, normalise=not args.parse_only)
    from engine.planner import make_plan
    from engine.planner.lint import has_blocking
    from engine.planner.serial import dumps

    try:
        plan = make_plan(
            loaded[0],
            loaded[1],
            renames=renames,
            large_table_rows=args.large_table_rows,
        )
        text = dumps(plan)
    finally:
        gc.unfreeze()
    if args.output:
        from engine.cli import write_output

        write_output(args.output, text)
        print(f"wrote {args.output}: {plural(len(plan.operations), 'operation')}", file=sys.stderr)
    if args.json:
        sys.stdout.write(text)
    elif args.sql:
        sys.stdout.write(plan_sql(plan))
    else:
        print(plan_summary(plan))
    return 1 if has_blocking(plan.findings, strict=args.strict) else 0


@contextlib.contextmanager
def sides_kept() -> Iterator[None]:
    """No cyclic collection while the sides are learned, and none that walks them after
    (`gc.freeze`; the caller calls `gc.unfreeze()` when the command is done with them).

    Why: two 1,000-table sides are a million objects that live until the command ends,
    and hardly any garbage cycles (SQL fragments are parsed in a helper process where one
    can be forked; elsewhere their parse trees wait for the end of the command): the
    collector would walk them again and again (after the target side arrives from its
    process alone, 30 ms), and planning makes enough garbage of its own (SQL parse trees)
    to start it a few more times. A forked process inherits the paused collector; the
    fragment helper turns its own back on (`engine.flo.normaliser`)."""
    with paused():
        yield
        gc.freeze()


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def load_sides(
    source: str, target: str, dialect: str | None, normalise: bool = True
) -> tuple[Any, Any]:
    """Both sides; two live URLs are learned at the same time (`_learn_live_pair`), then
    a .sql side takes its dialect from the other side (a desired-state file is written
    for the server it will go to)."""
    from engine.planner.sources import is_url, load_source, normalise_through_server

    specs = (source, target)
    is_sql = [not (is_url(s) or s.endswith(".json")) for s in specs]
    out: list[Any] = [None, None]
    first = [i for i in (0, 1) if not is_sql[i]]
    if len(first) == 2 and all(is_url(s) for s in specs):
        out[0], out[1] = _learn_live_pair(*specs)
    else:
        for i in first:
            out[i] = load_source(specs[i])
    known = next((s.snapshot.dialect for s in out if s is not None), None)
    live = next((s for s in out if s is not None and s.kind == "live"), None)
    for i in (0, 1):
        if is_sql[i]:
            out[i] = load_source(specs[i], dialect=known or dialect)
            if normalise and live is not None and live.snapshot.dialect == out[i].snapshot.dialect:
                out[i] = normalise_through_server(out[i], live)
                note = out[i].snapshot.source.get("normalised", "")
                if note.startswith("no:"):
                    print(f"note: {specs[i]} read by the parser only ({note[4:]})", file=sys.stderr)
    return out[0], out[1]


def _learn_live_pair(source: str, target: str) -> tuple[Any, Any]:
    """Two live sides at the same time: the target learned in a child process (learning
    is GIL-bound Python: two threads would take turns -- `engine.forked`), the source here
    meanwhile. The child needs no SQL parser, so it forks before sqlglot is imported here
    and is done first: it also probes the source's server, on a connection of its own.
    Both sides' SQL fragments are parsed in one helper process (a view both sides have is
    parsed once), started once sqlglot is in. What they all load on first use is loaded
    once, before they part (`prepare_live`)."""
    from engine import forked
    from engine.flo import normaliser
    from engine.ir.model import _pickle_reducers
    from engine.planner.sources import load_source, prepare_live, with_server

    for spec in (source, target):
        prepare_live(spec, parser=False)
    helper = normaliser.shared(2)  # None where forking is not safe: each parses its own
    learning = forked.start(_learn_target, target, source, helper, reducers=_pickle_reducers())
    try:
        if helper is not None:
            helper.forget(1)
        prepare_live(source)
        if helper is not None:
            helper.start()
        side = load_source(source, probe=False, normaliser=helper.client(0) if helper else None)
        target_side, server = learning.result()
    except BaseException:
        learning.cancel()
        if helper is not None:
            helper.wait(kill=True)
        raise
    if helper is not None:
        helper.wait()
    probed = with_server(side, server)
    if probed is None:  # the probes met another server: read the source on one connection
        probed = load_source(source)
    return probed, target_side


def _learn_target(spec: str, source: str, helper: Any) -> tuple[Any, Any]:
    """A live target side, learned with what make_plan asks of it (its per-object digests
    and its column-order-aside hash: `load_source` makes them with its profile hash), and
    the source's server probed (a plan uses the source's server's capabilities, never the
    target's: the target is not probed)."""
    from engine.planner.sources import load_source, probe_server

    side = load_source(spec, probe=False, normaliser=helper.client(1) if helper else None)
    return side, probe_server(source)


def plan_summary(plan: Any) -> str:
    frm = plan.source.get("from", {})
    to = plan.source.get("to", {})
    lines = [
        key_values(
            [
                ("plan", f"{plan.dialect}, {plural(len(plan.operations), 'operation')}"),
                ("from", f"{frm.get('kind')} {frm.get('label')}  {plan.source_hash}"),
                ("to", f"{to.get('kind')} {to.get('label')}  {plan.target_hash}"),
            ]
        ),
        "",
    ]
    if not plan.operations:
        lines.append("nothing to do: the schemas are the same")
    else:
        rows = [
            (
                op.id,
                op.kind,
                op.target,
                op.strategy,
                f"{op.lock.level} ({op.lock.duration})",
                f"{op.risk.level} {op.risk.score}",
                op.hazards or "-",
            )
            for op in plan.operations
        ]
        lines.append(
            table(["id", "operation", "target", "strategy", "lock", "risk", "hazards"], rows)
        )
    irreversible = [op for op in plan.operations if op.rollback is None]
    for op in irreversible:
        lines.append(f"irreversible {op.id}: {op.irreversible}")
    for rename in plan.suspected_renames:
        lines.append(
            f"looks like a rename: {rename.kind} {rename.old} -> {rename.new} "
            f"(declare it with --rename or a -- sqlx:rename-from comment to keep the data)"
        )
    if plan.hazards:
        lines.append("hazards to accept at apply: " + ", ".join(plan.hazards))
    lines.extend(findings_lines(plan.findings))
    return "\n".join(lines)


def findings_lines(findings: Any) -> list[str]:
    if not findings:
        return ["", "findings: none"]
    rows = [(f.severity, f.code, f.operation or "-", f.message) for f in findings]
    return ["", table(["severity", "code", "op", "finding"], rows)]


def plan_sql(plan: Any) -> str:
    """The plan as a commented SQL script (what a DBA would review or run by hand)."""
    from engine.planner.steps import sql_runs_as_is

    out = [f"-- sqlx plan: {plan.source_hash} -> {plan.target_hash}"]
    for op in plan.operations:
        out.append("")
        out.append(f"-- {op.id} {op.kind} {op.target}: {op.rationale}")
        out.append(
            f"-- strategy {op.strategy}; lock {op.lock.level} ({op.lock.duration}); "
            f"risk {op.risk.level} {op.risk.score}; hazards {', '.join(op.hazards) or 'none'}"
        )
        for step in op.steps:
            if step.kind != "sql":
                out.append(f"-- step {step.kind} (sqlx apply adds): {cell(dict(step.params))}")
            if not sql_runs_as_is(step.kind):
                out.append(f"-- {step.sql}")
            else:
                out.append(step.sql.rstrip().rstrip(";") + ";")
        if op.rollback is None:
            out.append(f"-- rollback: irreversible: {op.irreversible}")
        else:
            rb = " ".join(s.sql.rstrip().rstrip(";") + ";" for s in op.rollback)
            out.append(f"-- rollback: {rb}")
    return "\n".join(out) + "\n"


# --- lint ------------------------------------------------------------------------------


def read_plan(path: str) -> Any:
    from engine.planner.serial import loads

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise errors.PlanError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.PlanError(f"{path}: cannot read: {exc}") from None
    return loads(text, where=path)


def cmd_lint(args: argparse.Namespace) -> int:
    from engine.planner.lint import has_blocking
    from engine.planner.serial import finding_json

    plan = read_plan(args.plan)
    if args.json:
        print(dumps_json([finding_json(f) for f in plan.findings]))
    else:
        print(f"{args.plan}: {len(plan.operations)} operations, {len(plan.findings)} findings")
        print("\n".join(findings_lines(plan.findings)[1:]))
    return 1 if has_blocking(plan.findings, strict=args.strict) else 0


# --- apply / rollback ------------------------------------------------------------------


def accept_hazards(plan: Any, args: argparse.Namespace) -> frozenset[str]:
    """The hazards the person accepted: all with --yes, else asked on a terminal."""
    hazards = plan.hazards
    if not hazards or args.yes or getattr(args, "dry_run", False):
        return frozenset(hazards)
    if not sys.stdin.isatty():
        raise errors.PlanRefused(
            "this plan has hazards that must be accepted: " + ", ".join(hazards) + "; "
            "review them (sqlx lint) and pass --yes",
            hazards=list(hazards),
        )
    from engine.planner.model import HAZARDS

    print("This plan carries hazards:", file=sys.stderr)
    for name in hazards:
        ops = [op.id for op in plan.operations if name in op.hazards]
        print(f"  {name}: {HAZARDS.get(name, '')} ({', '.join(ops)})", file=sys.stderr)
    answer = input("Type 'yes' to accept them and apply: ").strip().lower()
    if answer != "yes":
        raise errors.PlanRefused("not applied: the hazards were not accepted")
    return frozenset(hazards)


class OperationProgress:
    """A progress bar on a terminal, fed by apply's `progress(op, step, done, total)`
    callback: steps done out of all steps, with the operation being worked on."""

    def __init__(self, plan: Any, label: str) -> None:
        self.bar = Progress(sum(len(op.steps) for op in plan.operations), label)

    def __enter__(self) -> OperationProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, op: Any, step: Any, done: int, total: int) -> None:
        self.bar.total = max(total, 1)
        self.bar.done = done
        self.bar.draw(f"{getattr(op, 'id', op)} {getattr(op, 'kind', '')}")


def cmd_apply(args: argparse.Namespace) -> int:
    from engine.cli import open_session
    from engine.planner.apply import apply_plan

    plan = read_plan(args.plan)
    accepted = accept_hazards(plan, args)
    with open_session(args) as session:
        if args.rehearse and not args.dry_run:
            rehearse_first(session, plan, args, accepted)
        with OperationProgress(plan, "applying") as progress:
            report = apply_plan(
                session,
                plan,
                database=args.database,
                dry_run=args.dry_run,
                allow_destructive=args.allow_destructive,
                accept_hazards=accepted,
                progress=progress,
                throttle_ms=args.throttle_ms,
            )
    return print_report(report, args, plan)


def rehearse_first(session: Any, plan: Any, args: argparse.Namespace, accepted: Any) -> None:
    """--rehearse: the plan on a scratch copy of the live schema first; stop if it fails.
    The live schema must be the plan's source (the same drift check apply makes)."""
    from engine.planner.apply import target_database
    from engine.planner.apply_checks import drift_refusal, learn_live
    from engine.planner.journal import family_spec
    from engine.planner.rehearse import rehearse

    live = learn_live(session, target_database(session, family_spec(session), args.database))
    if live.hash != plan.source_hash:
        raise drift_refusal(plan, live, None, "rehearsal refused, the database drifted")
    source = live.snapshot
    with OperationProgress(plan, "rehearsing") as progress:
        report = rehearse(session, plan, source, allow_destructive=args.allow_destructive,
                          accept_hazards=accepted, progress=progress)  # fmt: skip
    if report.status == "failed":
        raise errors.PlanRefused(f"rehearsal failed, nothing applied: {report.message}")
    print(f"rehearsal: {report.status} ({'; '.join(report.notes)})", file=sys.stderr)


def cmd_rollback(args: argparse.Namespace) -> int:
    from engine.cli import open_session
    from engine.planner.apply import rollback_plan

    plan = read_plan(args.plan)
    with open_session(args) as session, OperationProgress(plan, "rolling back") as progress:
        report = rollback_plan(
            session,
            plan,
            database=args.database,
            allow_destructive=args.allow_destructive,
            progress=progress,
        )
    return print_report(report, args, plan)


def print_report(report: Any, args: argparse.Namespace, plan: Any) -> int:
    data = report.to_json() if hasattr(report, "to_json") else dict(vars(report))
    if args.json:
        print(dumps_json(data))
    else:
        for line in report_lines(report, args):
            print(line)
    return 0 if report.status in ("applied", "resumed", "rolled_back", "dry_run", "noop") else 4


def report_lines(report: Any, args: argparse.Namespace) -> list[str]:
    lines = [f"status  {report.status}"]
    for key in ("run_id", "verified_hash", "message"):
        value = getattr(report, key, None)
        if value:
            lines.append(f"{key.replace('_', ' ')}  {value}")
    sql = getattr(report, "sql", None)
    if sql:
        lines.append("")
        lines.extend(s.rstrip().rstrip(";") + ";" for s in sql)
    if report.status == "failed" and getattr(report, "failed_op", None):
        lines.append(
            f"stopped at {report.failed_op}: nothing after it ran; re-run the same command to "
            f"resume, or `sqlx rollback URL --plan {args.plan}` to undo what was done"
        )
    return lines

"""`sqlx`: the engine's command line (no Django needed).

Exit codes are a contract (DESIGN.md): 0 ok, 1 findings/refused, 2 usage, 3 cannot
connect/authenticate, 4 server error, 130 interrupted. Every failure is one line on stderr
with the password masked -- never a traceback. Printing lives in engine/cli_output.py.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from engine import errors
from engine.cli_output import Progress, dumps_json, evidence_summary, key_values, table
from engine.cli_plan import add_plan_commands, cmd_apply, cmd_lint, cmd_plan_diff, cmd_rollback
from engine.url import mask_url

EXAMPLES = """\
examples:
  sqlx ping postgresql://app@db.example/app?sslmode=verify-full&sslrootcert=ca.pem
  SQLX_PASSWORD=... sqlx ping mysql://root@127.0.0.1:3306/
  sqlx ping sqlite:///data/app.db
  sqlx learn mysql://app@db/ --databases shop,crm --json
  sqlx capabilities postgresql://app@db/app --json
  sqlx snapshot:pull postgresql://app@db/app --database app -o app.snapshot.json
  sqlx plan:diff --from app.snapshot.json --to desired.sql -o plan.json --sql
  sqlx apply postgresql://app@db/app --plan plan.json --dry-run
  sqlx rollback postgresql://app@db/app --plan plan.json

The password comes from the URL, else $SQLX_PASSWORD, else a prompt with -W.
exit codes: 0 ok, 1 findings/refused, 2 usage, 3 cannot connect/authenticate,
            4 server error, 130 interrupted
"""

SUBCOMMAND_EXAMPLES = {
    "ping": """\
examples:
  sqlx ping postgresql://app@db.example/app?sslmode=verify-full&sslrootcert=ca.pem -W
  SQLX_PASSWORD=... sqlx ping mysql://root@127.0.0.1:3306/ --json
  sqlx ping sqlite:///data/app.db
""",
    "learn": """\
examples:
  sqlx learn postgresql://app@db/app                 # the URL's database
  sqlx learn mysql://app@db/ --all-databases         # every user database
  sqlx learn mysql://app@db/ --databases shop,crm --json
  sqlx learn mysql://root@db/ --all-databases --include-system

Without --databases/--all-databases: the URL's database, else every user database.
""",
    "capabilities": """\
examples:
  sqlx capabilities postgresql://app@db/app
  sqlx capabilities mariadb://app@db/ --json > caps.json
  sqlx capabilities sqlite:///data/app.db
""",
    "snapshot:pull": """\
examples:
  sqlx snapshot:pull postgresql://app@db/app -o app.snapshot.json
  sqlx snapshot:pull mysql://app@db/ --database shop > shop.snapshot.json
  sqlx snapshot:pull sqlite:///data/app.db -o app.snapshot.json

Without --database: the URL's database, else the server's only user database.
""",
    "plan:diff": """\
examples:
  sqlx plan:diff --from app.snapshot.json --to desired.sql -o plan.json --sql
""",
    "apply": """\
examples:
  sqlx apply postgresql://app@db/app --plan plan.json --dry-run
""",
    "rollback": """\
examples:
  sqlx rollback postgresql://app@db/app --plan plan.json
""",
}

#: Object counts shown by `sqlx learn`, in display order.
COUNTED = ("tables", "views", "indexes", "sequences", "types", "triggers", "routines")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlx",
        description="NuBlox SQLx engine: connect, learn, plan and apply schema changes.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=SUBCOMMAND_EXAMPLES.get(name, ""),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    def connecting(p: argparse.ArgumentParser) -> None:
        p.add_argument("url", help="connection URL (the password is masked in all output)")
        p.add_argument(
            "-W",
            "--password-prompt",
            action="store_true",
            help="ask for the password on the terminal when the URL has a user but none",
        )
        p.add_argument(
            "--connect-timeout",
            type=float,
            metavar="SECONDS",
            help="give up connecting after this long (default 10)",
        )

    p = add("ping", "connect, authenticate and report the server version, TLS and auth method")
    connecting(p)
    p.add_argument("--json", action="store_true", help="print the facts as JSON")

    p = add("learn", "probe a server and read its databases' catalogs into the schema IR")
    connecting(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--all-databases", action="store_true", help="every user database")
    group.add_argument("--databases", metavar="A,B", help="these databases (comma-separated)")
    p.add_argument(
        "--include-system", action="store_true", help="with the server's own databases too"
    )
    p.add_argument("--json", action="store_true", help="print everything as JSON")

    p = add("capabilities", "list what the server can do, learned by probing, with evidence")
    connecting(p)
    p.add_argument("--json", action="store_true", help="print the full LearnedServer as JSON")

    p = add("snapshot:pull", "write a versioned IR snapshot (canonical JSON) of one database")
    connecting(p)
    p.add_argument("--database", metavar="NAME", help="the database to read")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    add_plan_commands(add, connecting)
    return parser


# --- connecting -----------------------------------------------------------------------


def open_session(args: argparse.Namespace) -> Any:
    """connect() with the command's options: --connect-timeout and -W (a password prompt,
    only on a terminal and only when neither the URL nor $SQLX_PASSWORD gave one)."""
    from engine import connect
    from engine.url import parse_url

    overrides: dict[str, Any] = {}
    timeout = getattr(args, "connect_timeout", None)
    if timeout is not None:
        if timeout <= 0:
            raise errors.ConfigError("--connect-timeout must be a positive number of seconds")
        overrides["connect_timeout"] = timeout
    if getattr(args, "password_prompt", False):
        cfg = parse_url(args.url)
        if not cfg.password:
            overrides["password"] = prompt_password(cfg.user)
    return connect(args.url, **overrides)


def prompt_password(user: str | None) -> str:
    if not user:
        raise errors.ConfigError("--password-prompt: the URL names no user")
    if not sys.stdin.isatty():
        raise errors.ConfigError(
            "--password-prompt needs a terminal on stdin; set SQLX_PASSWORD instead"
        )
    try:
        return getpass.getpass(f"Password for {user}: ")
    except EOFError:
        raise errors.ConfigError("no password entered") from None


# --- commands -------------------------------------------------------------------------


def cmd_ping(args: argparse.Namespace) -> int:
    with open_session(args) as session:
        session.ping()
        info = session.server
    tls = info.get("tls") or {}
    facts = {
        "url": mask_url(args.url),
        "version": info.get("version"),
        "auth": info.get("auth_plugin"),
        "tls": (f"{tls.get('version')} {tls.get('cipher')}" if tls else None),
        "tls_verified": bool(tls.get("verified")) if tls else False,
    }
    if args.json:
        print(dumps_json(facts))
        return 0
    print(f"ok      {facts['url']}")
    print(f"version {facts['version']}")
    if tls:
        verified = "verified" if facts["tls_verified"] else "not verified"
        print(f"tls     {facts['tls']} ({verified})")
    else:
        print("tls     none")
    print(f"auth    {facts['auth'] or 'none'}")
    return 0


def server_summary(server: Any, url: str) -> str:
    tls = server.tls
    tls_text = (
        f"{tls.get('version')} {tls.get('cipher')} "
        f"({'verified' if tls.get('verified') else 'not verified'})"
        if tls
        else "none"
    )
    return key_values(
        [
            ("server", mask_url(url)),
            ("flavour", server.flavour),
            ("version", server.version),
            ("endpoint", server.endpoint),
            ("fingerprint", server.fingerprint),
            ("tls", tls_text),
            ("auth", server.auth_plugin or "none"),
        ]
    )


def cmd_capabilities(args: argparse.Namespace) -> int:
    from engine.flo import learn_server

    with open_session(args) as session:
        server = learn_server(session)
    if args.json:
        print(dumps_json(server.to_json()))
        return 0
    print(server_summary(server, args.url))
    print()
    rows = [(c.name, c.supported, evidence_summary(c)) for c in server.capabilities]
    print(table(["capability", "supported", "evidence"], rows))
    print()
    rows = [(c.name, c.supported, evidence_summary(c)) for c in server.security]
    print(table(["security", "value", "evidence"], rows))
    return 0


def database_learner() -> Callable[[Any, str], Any]:
    """engine.flo.database.learn_database, or a clear error while it is not there."""
    try:
        from engine.flo.database import learn_database
    except ImportError as exc:
        raise errors.InterfaceError(
            f"learning databases is not available in this build ({exc})"
        ) from None
    return learn_database


def choose_databases(args: argparse.Namespace, session: Any) -> list[str]:
    from engine.flo import databases

    entries = databases(session)
    known = {e.name for e in entries}
    visible = [e.name for e in entries if args.include_system or not e.system]
    if args.databases:
        names = list(dict.fromkeys(n.strip() for n in args.databases.split(",") if n.strip()))
        missing = [n for n in names if n not in known]
        if missing or not names:
            raise errors.ConfigError(
                f"no database {', '.join(missing) or '(empty list)'} on this server "
                f"(it has: {', '.join(sorted(known)) or 'none'})"
            )
        return names
    if args.all_databases:
        return visible
    current = getattr(session.cfg, "database", None)
    return [current] if current else visible


def object_counts(learned: Any) -> dict[str, int]:
    """The database's object counts: its stats' when it has them, else counted here."""
    counts = dict(((getattr(learned, "stats", None) or {}).get("counts")) or {})
    snapshot = learned.snapshot
    for kind in COUNTED:
        if kind not in counts:
            items = getattr(snapshot, kind, ()) or ()
            if kind == "indexes":
                items = [i for t in snapshot.tables for i in (getattr(t, "indexes", ()) or ())]
            counts[kind] = len(items)
    return counts


def cmd_learn(args: argparse.Namespace) -> int:
    from engine.flo import learn_server
    from engine.flo.model import jsonable

    learn_database = database_learner()
    learned: list[Any] = []
    with open_session(args) as session:
        server = learn_server(session)
        names = choose_databases(args, session)
        with Progress(len(names), "learning") as bar:
            for name in names:
                learned.append(learn_database(session, name, server_fingerprint=server.fingerprint))
                bar.advance(name)
    summary = [
        {
            "name": db.name,
            "profile_hash": db.profile_hash,
            "counts": object_counts(db),
            "stats": jsonable(getattr(db, "stats", None) or {}),
        }
        for db in learned
    ]
    if args.json:
        print(dumps_json({"server": server.to_json(), "databases": summary}))
        return 0
    print(server_summary(server, args.url))
    print()
    if not summary:
        print("no databases to learn (use --include-system or --databases)")
        return 0
    headers = ["database", *COUNTED, "profile hash"]
    rows = [[d["name"], *(d["counts"][k] for k in COUNTED), d["profile_hash"]] for d in summary]
    print(table(headers, rows))
    return 0


def pick_snapshot_database(args: argparse.Namespace, session: Any) -> str:
    from engine.flo import list_databases

    if args.database:
        return args.database
    current = getattr(session.cfg, "database", None)
    if current:
        return current
    names = list_databases(session)
    if len(names) == 1:
        return names[0]
    raise errors.ConfigError(
        f"say which database: --database NAME (this server has: {', '.join(names) or 'none'})"
    )


def write_output(path: str, text: str) -> None:
    """Write atomically: a half-written snapshot must never replace a good one."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".sqlx-", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise errors.ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def cmd_snapshot_pull(args: argparse.Namespace) -> int:
    from engine import ir
    from engine.flo import normaliser
    from engine.gcpause import paused

    learn_database = database_learner()
    helper = normaliser.start()  # sqlglot loads in it while this process connects
    # with the helper this process parses no SQL, so it makes nothing cyclic: the
    # collector would only walk the million live objects of a large schema again and again
    quiet = paused() if helper is not None else contextlib.nullcontext()
    texts: list[str] = []  # the JSON is written here while a child process hashes

    def write_text(snapshot: Any) -> None:
        with paused():  # a megabytes-long text from acyclic pieces: nothing to collect
            texts.append(ir.dumps(snapshot))

    try:
        with quiet, open_session(args) as session:
            name = pick_snapshot_database(args, session)
            learned = learn_database(session, name, normaliser=helper, alongside=write_text)
    finally:
        if helper is not None:
            helper.close()
    text = texts[0]
    text = text if text.endswith("\n") else text + "\n"
    if args.output:
        write_output(args.output, text)
        print(f"wrote {args.output}: database {name}, {learned.profile_hash}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ping": cmd_ping,
    "capabilities": cmd_capabilities,
    "learn": cmd_learn,
    "snapshot:pull": cmd_snapshot_pull,
    "plan:diff": cmd_plan_diff,
    "lint": cmd_lint,
    "apply": cmd_apply,
    "rollback": cmd_rollback,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Called without `argv` (the `sqlx` entry point, `python -m
    engine.cli`), the process ends here (`leave`); with `argv` (tests, embedding), the
    exit code is returned."""
    code = run(argv)
    if argv is None:
        leave(code)
    return code


def leave(code: int) -> None:
    """End the process now, once stdout and stderr are flushed: the interpreter's own
    shutdown would free every object a command made one by one (two 1,000-table
    snapshots are a million of them, about 0.12 s of `sqlx plan:diff`), and nothing a
    command leaves behind needs it: files are written and closed, sessions closed and
    child processes waited for before a handler returns."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    handler = COMMANDS[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("sqlx: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `sqlx ... | head`: the reader left; not an error of ours
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except errors.EngineError as exc:
        print(f"sqlx {args.command}: {describe_failure(exc, args)}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a bug: still one masked line, never a traceback
        text = describe_failure(exc, args)
        print(f"sqlx {args.command}: internal error, please report: {text}", file=sys.stderr)
        return 4


def describe_failure(exc: BaseException, args: Any) -> str:
    url = getattr(args, "url", "") or ""
    where = mask_url(url)
    kind = type(exc).__name__
    text = " ".join(str(exc).split())  # one line, whatever the server sent
    password = _password_in(url)
    if password:
        text = text.replace(password, "****")
    return f"{kind}: {text}" + (f" ({where})" if where else "")


def _password_in(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    try:
        return unquote(urlsplit(url).password or "")
    except ValueError:
        return ""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""`sqlx`: the engine's command line (no Django needed).

Exit codes are a contract (DESIGN.md): 0 ok, 1 findings/refused, 2 usage, 3 cannot
connect/authenticate, 4 server error, 130 interrupted. Every failure is one line on stderr
with the password masked -- never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from engine import errors
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

The password comes from the URL, else $SQLX_PASSWORD.
exit codes: 0 ok, 1 findings/refused, 2 usage, 3 cannot connect/authenticate,
            4 server error, 130 interrupted
"""

NOT_YET = {
    "learn": "issue #4",
    "capabilities": "issue #4",
    "snapshot:pull": "issue #4",
    "plan:diff": "issue #5",
    "apply": "issue #5",
    "rollback": "issue #5",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlx",
        description="NuBlox SQLx engine: connect, learn, plan and apply schema changes.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text)

    p = add("ping", "connect, authenticate and report the server version, TLS and auth method")
    p.add_argument("url")
    p.add_argument("--json", action="store_true", help="print the facts as JSON")

    p = add("learn", "probe a server and read its catalogs into the schema IR")
    p.add_argument("url")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--all-databases", action="store_true")
    group.add_argument("--databases", metavar="A,B")
    p.add_argument("--include-system", action="store_true")
    p.add_argument("--json", action="store_true")

    p = add("capabilities", "list what the server can do (learned by probing)")
    p.add_argument("url")
    p.add_argument("--json", action="store_true")

    p = add("snapshot:pull", "write a versioned IR snapshot of one database")
    p.add_argument("url")
    p.add_argument("--database", metavar="NAME")
    p.add_argument("-o", "--output", metavar="FILE")

    p = add("plan:diff", "diff two schemas (URL, snapshot .json or DDL .sql) into a plan")
    p.add_argument("--from", dest="source", required=True, metavar="SRC")
    p.add_argument("--to", dest="target", required=True, metavar="DST")
    p.add_argument("-o", "--output", metavar="FILE")
    p.add_argument("--sql", action="store_true")
    p.add_argument("--strict", action="store_true")

    p = add("apply", "apply a plan to a server")
    p.add_argument("url")
    p.add_argument("--plan", required=True, metavar="PLAN.json")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--yes", action="store_true")
    p.add_argument("--allow-destructive", action="store_true")

    p = add("rollback", "undo an applied plan")
    p.add_argument("url")
    p.add_argument("--plan", required=True, metavar="PLAN.json")
    return parser


def cmd_ping(args: argparse.Namespace) -> int:
    from engine import connect

    with connect(args.url) as session:
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
        print(json.dumps(facts, sort_keys=True))
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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"ping": cmd_ping}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    handler = COMMANDS.get(args.command)
    if handler is None:
        print(
            f"sqlx {args.command}: not implemented yet ({NOT_YET.get(args.command, 'later')})",
            file=sys.stderr,
        )
        return 2
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("sqlx: interrupted", file=sys.stderr)
        return 130
    except errors.EngineError as exc:
        print(f"sqlx {args.command}: {describe_failure(exc, args)}", file=sys.stderr)
        return exc.exit_code


def describe_failure(exc: errors.EngineError, args: Any) -> str:
    where = mask_url(getattr(args, "url", "") or "")
    kind = type(exc).__name__
    text = " ".join(str(exc).split())  # one line, whatever the server sent
    return f"{kind}: {text}" + (f" ({where})" if where else "")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

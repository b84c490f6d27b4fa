#!/usr/bin/env python3
"""Connect → learn → plan from desired-state SQL → apply, through the REST API alone.

What a CI pipeline does to migrate a database with the Studio: only the Python standard
library, a workspace's API URL and a token. Every long step is a run that is polled until
it finishes; any failure stops the script with the API's own message.

Examples:
    export NUBLOX_TOKEN=nbx_...            # Studio: Settings -> API tokens
    export SQLX_PASSWORD=...               # the database's password (never on the command line)
    python3 scripts/api_workflow.py --api http://demo.localhost:8000/api/v1 \\
        --url postgresql://app@db.internal:5432/shop --desired schema.sql
    python3 scripts/api_workflow.py ... --connection-id 7 --desired schema.sql --yes

Exit codes: 0 applied (or nothing to do), 1 the API refused or a run failed,
2 usage, 3 the API could not be reached or the token was refused.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

FINISHED = ("succeeded", "failed", "cancelled")


class Refused(Exception):
    """The API answered with an error (its message is for the person running this)."""


class Unreachable(Exception):
    pass


class Api:
    def __init__(self, base: str, token: str, timeout: float = 60.0):
        self.base, self.token, self.timeout = base.rstrip("/"), token, timeout
        self.host = ""
        parts = urlsplit(self.base)
        if (parts.hostname or "").endswith(".localhost"):
            # Names under .localhost are this machine (RFC 6761), as browsers and curl
            # treat them; the C resolver often does not know them. Dial loopback and keep
            # the name in the Host header: it selects the workspace.
            self.host = parts.netloc
            port = f":{parts.port}" if parts.port else ""
            self.base = parts._replace(netloc=f"127.0.0.1{port}").geturl()

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path.removeprefix("/api/v1"), data=data, method=method
        )
        if self.host:
            request.add_header("Host", self.host)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            error = _error_of(exc)
            if exc.code == 401:
                raise Unreachable(f"the token was refused: {error}") from None
            raise Refused(f"{method} {path}: {exc.code} {error}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise Unreachable(f"cannot reach {self.base}: {exc}") from None

    def wait(self, run: dict, what: str, every: float = 1.0, limit: float = 3600.0) -> dict:
        """Poll a run until it finishes; print its step as it changes."""
        deadline, last = time.monotonic() + limit, None
        while True:
            run = self.call("GET", f"/runs/{run['id']}")
            shown = f"  {what}: {run['percent']:3d} % {run['step']}"
            if shown != last:
                print(shown, flush=True)
                last = shown
            if run["state"] in FINISHED:
                break
            if time.monotonic() > deadline:
                raise Refused(f"{what} did not finish within {limit:.0f} s (run {run['id']})")
            time.sleep(every)
        if run["state"] != "succeeded":
            raise Refused(f"{what} {run['state']}: {run['error']}")
        return run


def _error_of(exc: urllib.error.HTTPError) -> str:
    try:
        error = json.loads(exc.read())["error"]
    except (ValueError, KeyError, TypeError):
        return exc.reason or "error"
    field = f" (field: {error['field']})" if error.get("field") else ""
    return f"{error['code']}: {error['message']}{field}"


def connection_for(api: Api, args) -> dict:
    if args.connection_id:
        return api.call("GET", f"/connections/{args.connection_id}")
    name = args.name or urlsplit(args.url).hostname or "database"
    body = {"name": name, "url": args.url}
    if os.environ.get("SQLX_PASSWORD"):
        body["password"] = os.environ["SQLX_PASSWORD"]
    connection = api.call("POST", "/connections", body)
    print(f"connection #{connection['id']} “{connection['name']}” added")
    return connection


def database_of(api: Api, connection: dict, wanted: str | None) -> dict:
    found = api.call("GET", f"/connections/{connection['id']}/databases?limit=200")["items"]
    names = [d["name"] for d in found]
    if wanted is None and len(found) == 1:
        return found[0]
    for database in found:
        if database["name"] == wanted:
            return database
    raise Refused(f"no learned database {wanted!r} on this connection (it has: {names})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--api", default=os.environ.get("NUBLOX_API"), help="…/api/v1 URL")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="database URL without the password (a new connection)")
    target.add_argument("--connection-id", type=int, help="an existing connection")
    parser.add_argument("--name", help="name of the new connection (default: the host)")
    parser.add_argument("--database", help="database to change (default: the URL's)")
    parser.add_argument("--desired", type=Path, required=True, help="desired-state .sql file")
    parser.add_argument("--title", default="Migration from scripts/api_workflow.py")
    parser.add_argument(
        "--yes", action="store_true", help="accept the plan's hazards (never DATA_LOSS)"
    )
    parser.add_argument("--allow-destructive", action="store_true", help="allow dropping data")
    args = parser.parse_args(argv)
    token = os.environ.get("NUBLOX_TOKEN", "")
    if not args.api or not token:
        parser.error("set --api (or NUBLOX_API) and NUBLOX_TOKEN")
    try:
        desired = args.desired.read_text(encoding="utf-8")
    except OSError as exc:
        parser.error(f"cannot read {args.desired}: {exc.strerror}")
    api = Api(args.api, token)
    try:
        return run(api, args, desired)
    except Unreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def run(api: Api, args, desired: str) -> int:
    connection = connection_for(api, args)
    wanted = args.database
    if wanted is None and args.url and not args.url.startswith("sqlite:"):
        wanted = urlsplit(args.url).path.strip("/") or None  # a file database has just one
    body = {"databases": [wanted]} if wanted else {}
    learn = api.call("POST", f"/connections/{connection['id']}/learn", body)
    api.wait(learn["run"], "learn")
    database = database_of(api, connection, wanted)
    print(f"learned {database['name']} ({database['profile_hash'][:19]})")

    body = {
        "title": args.title,
        "target_database_id": database["id"],
        "source": {"kind": "sql", "sql": desired},
    }
    started = api.call("POST", "/plans", body)
    api.wait(started["run"], "plan")
    plan = api.call("GET", f"/plans/{started['plan']['id']}")
    print(f"plan #{plan['id']}: {plan['operation_count']} operation(s)")
    for op in plan["operations"]:
        print(f"  {op['id']} {op['kind']} risk {op['risk']['level']}: {op['rationale']}")
    for finding in plan["findings"]:
        print(f"  lint {finding['code']} {finding['severity']}: {finding['message']}")
    if not plan["operations"]:
        print("nothing to do: the database already matches the desired schema")
        return 0
    hazards = [h for h in plan["hazards"] if h != "DATA_LOSS"]
    if hazards and not args.yes:
        raise Refused(f"the plan has hazards {', '.join(hazards)}: re-run with --yes to accept")
    body = {"accept_hazards": hazards, "allow_destructive": args.allow_destructive}
    applying = api.call("POST", f"/plans/{plan['id']}/apply", body)
    api.wait(applying["run"], "apply")
    plan = api.call("GET", f"/plans/{plan['id']}")
    print(f"plan #{plan['id']} is {plan['state']}")
    return 0 if plan["state"] == "applied" else 1


if __name__ == "__main__":
    sys.exit(main())

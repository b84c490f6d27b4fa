"""Run one editor statement on a user's database and bring back what a page can show.

The statement runs in the web request's own thread, through the policy-checked session of
`open_session`. While it runs, a watchdog thread owns the two ways to stop it: the
statement timeout the person chose (bounded by the connection policy) and a cancel request
(see cancel.py); both call the engine session's `cancel()`, which works from any thread.

Read-only runs are wrapped in the family's read-only transaction (transactions.json, keyed
by the engine's FLO family name: data, not branches) and always rolled back. Read-write
runs go to the server as written, in autocommit.

At most `row_limit` rows are fetched (one more tells that there were more); the rows are
kept as display strings, so pages of the grid come from the stored result, never from
running the statement again (see results.py).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from apps.connections.policy import open_session
from apps.secrets.errors import SecretUnavailable
from apps.studio.sql import cancel
from apps.studio.sql.readonly import NotReadOnly, check_read_only, parse_statements
from apps.workspaces.actions import ActionRefused
from engine import errors
from engine.url import pack_document, parse_url, scheme_session

RULES_FILE = Path(__file__).with_name("transactions.json")

READ_ONLY, READ_WRITE = "read-only", "read-write"

#: Settings (nublox/settings.py may set them from the environment) and their defaults.
DEFAULTS = {
    "SQL_EDITOR_ROW_LIMIT": 1000,  # rows fetched when the person does not say
    "SQL_EDITOR_MAX_ROW_LIMIT": 10000,  # the most a person may ask for on the page
    "SQL_EDITOR_EXPORT_MAX_ROWS": 100000,  # the most rows one CSV export writes
    "SQL_EDITOR_PAGE_SIZE": 100,  # rows per page of the grid
    "SQL_EDITOR_CELL_CHARS": 1000,  # a longer value is cut for display (not in CSV)
    "SQL_EDITOR_RESULT_SECONDS": 900,  # how long a result's pages stay available
}


def setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


@cache
def _rules() -> dict[str, Any]:
    return json.loads(RULES_FILE.read_text())["families"]


def family_rules(family: str) -> dict[str, Any]:
    """How this family runs read-only and explains; refuse a family nobody described, so a
    new pack can never run an analyst's statement outside a read-only transaction."""
    rules = _rules().get(family)
    if rules is None:
        raise ActionRefused(
            f"The SQL editor does not know how to run a read-only transaction on {family or 'this'}"
            " servers yet, so only roles that may change data can use it here."
        )
    return rules


def dialect_of(connection) -> str:
    """sqlglot's dialect name, as the engine's pack for the URL's scheme gives it."""
    scheme = parse_url(connection.url, password="").scheme
    return str(pack_document(scheme).get("sql_dialect") or "")


def can_switch_database(connection) -> bool:
    scheme = parse_url(connection.url, password="").scheme
    return (scheme_session(scheme).get("use") or {}).get("mode", "command") != "refuse"


@dataclass
class Request:
    """What the person asked for (the view has checked the bounds)."""

    sql: str
    mode: str  # READ_ONLY (the role may not change data) or READ_WRITE
    explain: bool = False  # show the plan instead (always in a read-only transaction)
    database: str = ""
    row_limit: int = 1000
    timeout_s: int = 30
    query_id: str = ""


@dataclass
class Outcome:
    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    more: bool = False  # the statement had rows beyond row_limit
    rowcount: int | None = None
    elapsed_ms: int = 0
    error: str = ""  # for a person: the server's message, a refusal, or why it stopped
    outcome: str = "ok"  # the audit outcome: ok, refused, failed
    stopped: str = ""  # "cancelled" or "timeout" when the watch stopped the statement

    @property
    def ok(self) -> bool:
        return not self.error


def in_read_only(req: Request) -> bool:
    return req.mode == READ_ONLY or req.explain


def prepare(connection, req: Request) -> str:
    """The text to send: checked (read-only roles and Explain) and wrapped (Explain).
    Raises NotReadOnly / ActionRefused before anything is opened."""
    rules = family_rules(connection.family) if in_read_only(req) else {}
    dialect = dialect_of(connection)
    sql = req.sql.strip()
    if not sql:
        raise ActionRefused("Write a statement first.")
    if req.mode == READ_ONLY:
        for marker in rules.get("refuse_markers", ()):
            if marker in sql:
                raise NotReadOnly(
                    f"Refused: {marker}…*/ comments are run by this server, so the statement "
                    "cannot be shown to be read-only. Remove them."
                )
        check_read_only(sql, dialect)
    if req.explain:
        if len(parse_statements(sql, dialect)) != 1:
            raise ActionRefused("Explain takes exactly one statement.")
        return rules["explain"].format(statement=sql.rstrip("; \n\t"))
    return sql


def run(connection, user, req: Request) -> Outcome:
    """Run `req` on `connection`; every failure becomes `Outcome.error`, never an exception
    (except programming errors)."""
    started = time.monotonic()
    try:
        text = prepare(connection, req)
        read_only = in_read_only(req)
        rules = family_rules(connection.family) if read_only else {}
        with open_session(connection, user, why="sql editor") as session:
            if req.database and can_switch_database(connection):
                session.use(req.database)
            watch = cancel.Watch(session, req.query_id, user, connection.workspace, req.timeout_s)
            with watch:
                outcome = _execute(session, text, req.row_limit, rules, read_only)
            if watch.reason and not outcome.ok:
                outcome.error = watch.explain(outcome.error)
                outcome.stopped = watch.reason
    except ActionRefused as exc:
        outcome = Outcome(error=str(exc), outcome="refused")
    except SecretUnavailable as exc:
        outcome = Outcome(error=str(exc), outcome="failed")
    except errors.EngineError as exc:
        outcome = Outcome(error=sentence(exc), outcome="failed")
    outcome.elapsed_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _execute(session, text: str, row_limit: int, rules: dict, read_only: bool) -> Outcome:
    outcome = Outcome()
    for statement in rules.get("begin", ()):
        session.execute(statement)
    try:
        with session.stream(text) as stream:
            for row in stream:
                if len(outcome.rows) == row_limit:
                    outcome.more = True
                    if read_only:  # stop the server; a write must finish what it does
                        session.cancel()
                    break
                outcome.rows.append([display(value) for value in row])
            outcome.columns = [column.name for column in stream.columns]
        outcome.rowcount = stream.rowcount if stream.rowcount >= 0 else None
    except errors.ServerError as exc:
        outcome.error, outcome.outcome = sentence(exc), "failed"
    finally:
        with contextlib.suppress(errors.EngineError):  # a closed session has rolled back
            for statement in rules.get("end", ()):
                session.execute(statement)
    return outcome


def sentence(exc: errors.EngineError) -> str:
    """The engine's message (the server's own words and codes); never a traceback."""
    return f"The server said: {exc}" if isinstance(exc, errors.ServerError) else str(exc)


def display(value: Any) -> str | None:
    """A cell as the grid shows it; None stays None (the template shows NULL)."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = "0x" + bytes(value).hex()
    else:
        text = str(value)
    limit = setting("SQL_EDITOR_CELL_CHARS")
    return text if len(text) <= limit else text[:limit] + "…"

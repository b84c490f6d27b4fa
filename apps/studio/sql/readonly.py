"""Does a statement only read? The first of the editor's two locks for roles that may not
change data; the second is the read-only transaction the runner opens (see runner.py).

Parsing alone cannot see what a function does when it is called (a plpgsql function that
inserts, a stored function that updates): the transaction catches those. The transaction
alone does not stop everything either (a SELECT ... FOR UPDATE takes row locks; SQLite's
PRAGMA query_only can be switched off by the statement itself): the parse catches those.
Neither is trusted to stand alone.

The statement is parsed with sqlglot in the connection's dialect (taken from the engine's
pack, never from a family name here). What is allowed and what is refused, with the
sentence a person reads, are tables below.
"""

from __future__ import annotations

import logging
import re
import threading

import sqlglot
from sqlglot import exp

from apps.workspaces.actions import ActionRefused


class NotReadOnly(ActionRefused):
    """The statement may change something, or cannot be read as one statement."""


#: Statements a read-only role may run, by sqlglot node (Describe is MySQL's EXPLAIN).
READ_ROOTS: tuple[type[exp.Expression], ...] = (
    exp.Select,
    exp.SetOperation,
    exp.Values,
    exp.Show,
    exp.Describe,
)
#: Statements sqlglot keeps as raw commands that only read (the rest is checked below).
READ_COMMANDS = frozenset({"SHOW", "EXPLAIN"})

#: Nodes refused anywhere in the statement, and why (first match wins, order matters).
REFUSED_NODES: tuple[tuple[type[exp.Expression], str], ...] = (
    (exp.DML, "it changes data ({kind})"),
    (exp.DDL, "it changes the schema ({kind})"),
    (exp.Drop, "it changes the schema (DROP)"),
    (exp.Alter, "it changes the schema (ALTER)"),
    (exp.TruncateTable, "it changes data (TRUNCATE)"),
    (exp.Lock, "it locks rows (SELECT … FOR UPDATE / FOR SHARE)"),
    (exp.Into, "it writes its result somewhere (SELECT … INTO)"),
    (exp.Command, "it contains a command that is not a query ({kind})"),
)

#: EXPLAIN's options before the statement it explains, in any of the dialects' spellings.
EXPLAIN_OPTIONS = re.compile(
    r"^\s*(\((?:[^()]|\([^()]*\))*\)\s*)?"
    r"((ANALY[SZ]E|VERBOSE|QUERY\s+PLAN|EXTENDED|PARTITIONS|FORMAT\s*=?\s*\w+)\s+)*",
    re.IGNORECASE,
)

#: Functions whose effect a rollback does not undo, or that reach past the statement:
#: ending or signalling other sessions, session-level locks (they outlive the read-only
#: transaction), server maintenance, writes to files or other servers. Names lower-case,
#: for every family (no name here means something harmless on another server).
EFFECT_FUNCTIONS = frozenset({
    # PostgreSQL
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
    "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared", "pg_advisory_unlock", "pg_advisory_unlock_shared",
    "pg_advisory_unlock_all", "pg_switch_wal", "pg_create_restore_point",
    "pg_stat_reset", "pg_stat_reset_shared", "pg_stat_reset_single_table_counters",
    "pg_logical_emit_message", "pg_file_write", "pg_file_unlink", "pg_file_rename",
    "lo_import", "lo_export", "lo_unlink", "dblink_exec", "dblink_connect", "dblink",
    "pg_create_logical_replication_slot", "pg_create_physical_replication_slot",
    "pg_drop_replication_slot", "pg_promote", "pg_wal_replay_pause",
    "pg_wal_replay_resume", "setval", "nextval",
    # MySQL / MariaDB
    "get_lock", "release_lock", "release_all_locks", "master_pos_wait", "source_pos_wait",
    # SQLite (in-process): loading code into the process
    "load_extension",
})  # fmt: skip
EFFECT_REASON = "it calls {name}(), whose effect a rollback does not undo"

_quiet = threading.local()


class _QuietFilter(logging.Filter):
    """sqlglot logs a statement it cannot fully parse, text included: the text may hold a
    literal someone would rather not see in a log, so parses made here stay silent."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_quiet, "on", False)


logging.getLogger("sqlglot").addFilter(_QuietFilter())


def parse_statements(sql: str, dialect: str) -> list[exp.Expression]:
    """The statements of `sql` (empty ones dropped), or NotReadOnly with the parser's
    words when it cannot be read at all."""
    _quiet.on = True
    try:
        parsed = sqlglot.parse(sql, read=dialect)
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0]["description"] if exc.errors else "syntax error"
        raise NotReadOnly(
            f"This statement could not be read as {dialect} SQL ({first}), so it cannot be "
            "shown to be read-only. Your role may only run read-only statements."
        ) from None
    finally:
        _quiet.on = False
    return [statement for statement in parsed if statement is not None]


def check_read_only(sql: str, dialect: str) -> None:
    """Refuse (NotReadOnly) unless `sql` is exactly one statement that only reads."""
    statements = parse_statements(sql, dialect)
    if len(statements) != 1:
        raise NotReadOnly(
            f"Run one statement at a time: this text holds {len(statements)}. "
            "Your role may only run a single read-only statement."
        )
    reason = refusal(statements[0], dialect)
    if reason:
        raise NotReadOnly(
            f"Refused: {reason}. Your role may only run read-only statements "
            "(SELECT, WITH … SELECT, EXPLAIN, SHOW)."
        )


def refusal(statement: exp.Expression, dialect: str) -> str | None:
    """Why this one parsed statement is not read-only, or None if it is."""
    if isinstance(statement, exp.Command):
        return _command_refusal(statement, dialect)
    if not isinstance(statement, READ_ROOTS):
        return f"it is not a query ({_kind(statement)})"
    for node in statement.walk():
        for node_type, reason in REFUSED_NODES:
            if isinstance(node, node_type):
                return reason.format(kind=_kind(node))
        if isinstance(node, exp.Func) and (name := _function_name(node)) in EFFECT_FUNCTIONS:
            return EFFECT_REASON.format(name=name)
    return None


def _function_name(node: exp.Func) -> str:
    """The called name as written (sqlglot keeps unknown functions as Anonymous)."""
    name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
    return name.strip('"`[]').lower()


def _command_refusal(command: exp.Command, dialect: str) -> str | None:
    keyword = str(command.this).upper()
    if keyword not in READ_COMMANDS:
        return f"it is not a query ({keyword})"
    if keyword == "EXPLAIN":
        rest = command.expression.name if command.expression else ""
        explained = EXPLAIN_OPTIONS.sub("", rest, count=1)
        inner = parse_statements(explained, dialect)
        if len(inner) != 1:
            return "EXPLAIN must name exactly one statement"
        return refusal(inner[0], dialect)
    return None


def _kind(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return node.key.upper()

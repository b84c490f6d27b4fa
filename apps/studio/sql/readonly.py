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
    return None


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

"""CSV export: the statement runs again, read-only whatever the role (an export must
never change data a second time), and its rows stream out in constant memory, up to
SQL_EDITOR_EXPORT_MAX_ROWS.

Everything that can be refused or fail before the first row (policy, parse, connect, the
server rejecting the statement) happens in `open_export`, before the response starts, so
the page can still show a message; afterwards the session stays open while the response
is read, and closes (lease freed) when it ends or the client goes away.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
from collections.abc import Iterator

from apps.connections.policy import open_session
from apps.studio.sql.runner import (
    READ_ONLY,
    Request,
    can_switch_database,
    family_rules,
    prepare,
    setting,
)
from engine import errors

BATCH_ROWS = 500


class _Line:
    """csv.writer's file: returns what it is given instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def open_export(connection, user, req: Request) -> Iterator[str]:
    req = dataclasses.replace(req, mode=READ_ONLY, explain=False)
    text = prepare(connection, req)
    rules = family_rules(connection.family)
    stack = contextlib.ExitStack()
    try:
        session = stack.enter_context(open_session(connection, user, why="sql editor export"))
        if req.database and can_switch_database(connection):
            session.use(req.database)
        for statement in rules["begin"]:
            session.execute(statement)
        stack.callback(_end, session, rules["end"])
        stream = stack.enter_context(session.stream(text))
        rows = iter(stream)
        first = next(rows, None)  # the server's verdict on the statement arrives here
    except BaseException:
        stack.close()
        raise
    return _lines(stack, session, stream, rows, first)


def _end(session, statements: list[str]) -> None:
    with contextlib.suppress(errors.EngineError):
        for statement in statements:
            session.execute(statement)


def _lines(stack, session, stream, rows, first) -> Iterator[str]:
    writer = csv.writer(_Line())
    limit = setting("SQL_EDITOR_EXPORT_MAX_ROWS")
    with stack:
        yield writer.writerow([column.name for column in stream.columns])
        if first is None:
            return
        batch, written = [writer.writerow(_cells(first))], 1
        try:
            for row in rows:
                if written == limit:
                    session.cancel()  # read-only: stopping the server loses nothing
                    break
                batch.append(writer.writerow(_cells(row)))
                written += 1
                if len(batch) == BATCH_ROWS:
                    yield "".join(batch)
                    batch = []
        except errors.EngineError as exc:
            batch.append(writer.writerow([f"export stopped: {exc}"]))
        yield "".join(batch)


def _cells(row) -> list:
    return [
        "0x" + bytes(v).hex() if isinstance(v, (bytes, bytearray, memoryview)) else v for v in row
    ]

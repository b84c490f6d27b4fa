"""The editor's writes to the platform: every run and export is audited here.

A statement cannot run inside a platform transaction (`open_session` must see its lease
committed), so the audit event is appended after the run, in its own transaction, with
the outcome. The event holds the statement's first 200 characters and never its results
or the server's error text (either may quote data).
"""

from __future__ import annotations

from apps.audit.log import record
from apps.studio.sql import export, runner

STATEMENT_CHARS = 200


def _details(req: runner.Request, **more) -> dict:
    return {
        "statement": req.sql.strip()[:STATEMENT_CHARS],
        "mode": req.mode,
        "explain": req.explain,
        "database": req.database,
        **more,
    }


def do_run_query(connection, user, req: runner.Request) -> runner.Outcome:
    """Run a statement from the editor (audited as query.run)."""
    outcome = runner.run(connection, user, req)
    details = _details(req, rows=len(outcome.rows), elapsed_ms=outcome.elapsed_ms)
    if outcome.stopped:  # the audit says who stopped it: its author, or the timeout
        details["stopped"] = outcome.stopped
    record(
        connection.workspace,
        user,
        "query.run",
        target=connection,
        outcome=outcome.outcome,
        details=details,
    )
    return outcome


def do_export_query(connection, user, req: runner.Request):
    """Open a CSV export (audited as query.export): an iterator of CSV text, or
    ActionRefused / an engine error before anything is written."""
    try:
        lines = export.open_export(connection, user, req)
    except Exception as exc:
        outcome = "refused" if isinstance(exc, runner.ActionRefused) else "failed"
        record(
            connection.workspace,
            user,
            "query.export",
            target=connection,
            outcome=outcome,
            details=_details(req),
        )
        raise
    record(connection.workspace, user, "query.export", target=connection, details=_details(req))
    return lines

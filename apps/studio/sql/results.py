"""A result's pages: the rows of one run, kept for a while so paging never runs the
statement again (a second run could see other rows, or change data twice).

Rows are stored as display strings under a random id in Django's cache, bound to the
workspace and the person who ran the statement: nobody else can page through them. The
size is bounded by the row limit and the cell width (runner.py settings).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import asdict

from django.core.cache import cache

from apps.studio.sql.runner import Outcome, setting


def _key(workspace_id: int, user_id: int, result_id: str) -> str:
    return f"nublox:sql:result:{workspace_id}:{user_id}:{result_id}"


def keep(outcome: Outcome, user, workspace, sql: str) -> str:
    """Store a successful outcome; returns its id."""
    result_id = secrets.token_hex(16)
    value = {"outcome": asdict(outcome), "sql": sql}
    cache.set(_key(workspace.pk, user.pk, result_id), value, setting("SQL_EDITOR_RESULT_SECONDS"))
    return result_id


def load(result_id: str, user, workspace) -> tuple[Outcome, str] | None:
    """(the outcome, its statement), or None when it expired or is someone else's."""
    value = cache.get(_key(workspace.pk, user.pk, result_id))
    if value is None:
        return None
    return Outcome(**value["outcome"]), value["sql"]


def page_of(outcome: Outcome, number: int) -> dict:
    """Template context for one page of the grid (1-based; out of range: the nearest)."""
    size = setting("SQL_EDITOR_PAGE_SIZE")
    pages = max(1, math.ceil(len(outcome.rows) / size))
    number = min(max(1, number), pages)
    start = (number - 1) * size
    return {
        "rows": outcome.rows[start : start + size],
        "number": number,
        "pages": pages,
        "first_row": start + 1 if outcome.rows else 0,
        "last_row": min(start + size, len(outcome.rows)),
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number < pages else None,
    }

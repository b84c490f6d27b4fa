"""Cursor pagination: keyset pages that stay stable while rows are inserted.

A cursor is the opaque, url-safe encoding of the last item's ordering value; the next page
is everything strictly after it. Offsets would repeat or skip rows when the list changes
between two requests, which is exactly when scripts page through audit events.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Generic, TypeVar

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from ninja import Field, Schema

from apps.api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
BIGINT = 2**63 - 1

T = TypeVar("T")


class Page(Schema, Generic[T]):
    """The envelope of every list: `next` is null on the last page."""

    items: list[T]
    next: str | None = None


class PageQuery(Schema):
    """Query parameters of every list endpoint (use as `params: Query[PageQuery]`)."""

    cursor: str | None = Field(None, description="`next` of the previous page")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="items per page")


def cursor_page(queryset, *, cursor: str | None, limit: int, order: str = "-id") -> dict:
    """`{"items": [objects], "next": cursor|None}`, ordered by one unique field."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "invalid", f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    field = order.lstrip("-")
    descending = order.startswith("-")
    queryset = queryset.order_by(order)
    if cursor:
        after = _decode(cursor, queryset.model._meta.get_field(field))
        lookup = f"{field}__lt" if descending else f"{field}__gt"
        queryset = queryset.filter(**{lookup: after})
    items = list(queryset[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    next_cursor = _encode(getattr(items[-1], field)) if more else None
    return {"items": items, "next": next_cursor}


def _encode(value) -> str:
    raw = json.dumps([value], cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, model_field):
    """The cursor's value as the ordering field's type, or a 400 naming `cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        (value,) = json.loads(raw)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(value)
        value = model_field.to_python(value)
        if isinstance(value, int) and not -BIGINT <= value <= BIGINT:
            raise ValueError(value)
    except (binascii.Error, ValueError, TypeError, UnicodeError, ValidationError):
        raise ApiError(
            400, "invalid", "This cursor is not valid: pass `next` as returned.", field="cursor"
        ) from None
    return value

"""Input types every router shares, so hostile input is refused as a 400, not a 500.

Databases refuse some values Python accepts: a NUL character in text (PostgreSQL) and
integers beyond 64 bits (both). These types turn them into validation errors naming the
field before any query runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, Field

BIGINT = 2**63 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _email(value: str) -> str:
    value = value.strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError("must be an e-mail address") from None
    return value


def _utc(value: datetime) -> datetime:
    """Naive instants are UTC; ones that leave the calendar in UTC are refused."""
    try:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range") from None


#: A database primary key (path parameters and ids in bodies).
ObjectId = Annotated[int, Field(ge=1, le=BIGINT)]
#: Free text stored in a column.
Text = Annotated[str, AfterValidator(_no_nul)]


def text(max_length: int, min_length: int = 0):
    """Text of bounded length (names, descriptions, filters)."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)
    ]


Email = Annotated[str, Field(max_length=254), AfterValidator(_no_nul), AfterValidator(_email)]
#: A point in time (naive means UTC).
Instant = Annotated[datetime, AfterValidator(_utc)]

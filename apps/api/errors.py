"""One error shape for the whole API, so a script needs one code path to explain a failure.

Every error body is `{"error": {"code": "<snake_case>", "message": "<what to do>",
"field": "<name>|null"}}`. Raise `ApiError` (or `Conflict`, `RateLimited`) anywhere in an
endpoint; apps/api/core.py turns it and Django's own exceptions into that body.
"""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def body(self) -> dict:
        return error_body(self.code, self.message, self.field)

    def headers(self) -> dict[str, str]:
        return {}


class Conflict(ApiError):
    """The request is well formed but the object's state forbids it (e.g. a drifted plan)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(409, code, message, field)


class RateLimited(ApiError):
    def __init__(self, retry_after: int):
        super().__init__(
            429,
            "rate_limited",
            f"Too many requests: wait {retry_after} s before trying again.",
        )
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}

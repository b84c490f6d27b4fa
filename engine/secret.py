"""An opaque password holder.

Passwords travel through the engine as `Secret` so that no repr, log line, error message
or traceback frame dump shows them. Only auth primitives call `reveal()`.
"""

from __future__ import annotations


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str | bytes | None) -> None:
        self._value = value

    def reveal(self) -> str | bytes | None:
        return self._value

    def reveal_bytes(self) -> bytes:
        value = self._value
        if value is None:
            return b""
        return value if isinstance(value, bytes) else value.encode("utf-8")

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('****')" if self._value else "Secret(None)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # never pickle a password into a task queue or a cache
        raise TypeError("Secret cannot be pickled")

"""The one error the secret store raises, so callers catch one thing and show its message.

Messages say which secret (by reference, never by value) and what an operator can do about
it. Nothing from a backend's raw response is chained onto it: a traceback on an error page
or in a log must not carry a token or a value along.
"""

from __future__ import annotations


class SecretUnavailable(Exception):
    """A secret could not be stored, read or removed; the message is safe to show."""

"""Pause the cyclic garbage collector while large acyclic structures are built.

Why: learning a 1,000-table schema allocates about a million container objects (rows,
records, IR records, writer pieces) that all stay alive; the collector's young
generation keeps walking them (some 170 collections, about 0.05 s of a 0.6 s command)
and frees nothing. Reference counting still frees everything as usual; only cycles wait
until the block ends. Not used around SQL parsing (sqlglot trees are cyclic).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block (nests; restores the state it found)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()

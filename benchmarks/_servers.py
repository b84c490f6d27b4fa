"""Benchmarks run against the same throwaway servers as the tests.

If NUBLOX_TEST_PG_URL / NUBLOX_TEST_MARIADB_URL are set (servers kept running with
`scripts/testservices.py start`), they are used; otherwise servers are started for the run
and stopped at the end. `byte_compile_engine()` puts the engine in the state `pip install .`
leaves it in, so a timed `sqlx` does not compile its own source on every start.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _harness():
    spec = importlib.util.spec_from_file_location("testservices", ROOT / "scripts/testservices.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["testservices"] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def servers():
    if os.environ.get("NUBLOX_TEST_PG_URL") and os.environ.get("NUBLOX_TEST_MARIADB_URL"):
        yield dict(os.environ)
        return
    harness = _harness()
    env = harness.start()
    try:
        yield env
    finally:
        harness.stop(Path(env["NUBLOX_TEST_SERVICES_DIR"]))


def byte_compile_engine() -> None:
    """Write the .pyc files an installed package has. Peers (migra, the dump tools) are
    installed; with PYTHONDONTWRITEBYTECODE set, as on CI, an editable checkout would
    otherwise compile every engine module on every timed run (about 0.2 s)."""
    import compileall

    for package in ("engine", "transports"):
        compileall.compile_dir(str(ROOT / package), quiet=1)

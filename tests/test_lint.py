"""The house keeps ruff clean (lint and format), checked by CI like any other test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_check_is_clean():
    out = _ruff("check", ".")
    assert out.returncode == 0, out.stdout[-4000:]


def test_ruff_format_is_clean():
    out = _ruff("format", "--check", ".")
    assert out.returncode == 0, out.stdout[-4000:]

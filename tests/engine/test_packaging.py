"""`pip install .` ships the engine with its wire packs, their schema and the `sqlx` command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_engine_packs_and_console_script(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    (wheel,) = tmp_path.glob("nublox_sqlx-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packs = {p.name for p in (ROOT / "transports").glob("*.json")}
    assert packs and {f"transports/{p}" for p in packs} <= names
    assert "transports/schema/wirepack.schema.json" in names
    assert "engine/wirevm/core.py" in names and "engine/cli.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "sqlx = engine.cli:main" in text

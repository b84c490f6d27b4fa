"""The engine stands alone: it imports nothing from Django, the `nublox` project or `apps`
(arrows run one way, apps -> engine), so `pip install .` + `sqlx` work without the Studio."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("django", "nublox", "apps")


def imported_roots(source: str, filename: str) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module.split(".")[0]))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.append((node.lineno, node.args[0].value.split(".")[0]))
    return out


def test_no_engine_module_imports_the_web_layer():
    problems = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        rel = path.relative_to(ROOT)
        for line, root in imported_roots(path.read_text(encoding="utf-8"), str(rel)):
            if root in FORBIDDEN:
                problems.append(f"{rel}:{line}: imports {root}")
    assert not problems, "\n".join(problems)


def test_scanner_sees_all_import_shapes():
    src = "import django.db\nfrom nublox import settings\nimportlib.import_module('apps.x')\n"
    assert [r for _, r in imported_roots(src, "x.py")] == ["django", "nublox", "apps"]


def test_importing_engine_and_cli_loads_no_django():
    code = (
        "import sys, engine, engine.cli, engine.session, engine.session_async, "
        "engine.sqlite_backend, engine.wirevm.driver_sync, engine.wirevm.driver_async; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'nublox', 'apps'));"
        "print(','.join(bad))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""

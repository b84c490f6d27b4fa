"""The timeline's action filter lists every action the platform records: each literal
action name passed to `record(...)` anywhere in apps/ is in apps.audit.forms.ACTIONS."""

from __future__ import annotations

import ast
from pathlib import Path

from apps.audit.forms import ACTIONS

APPS = Path(__file__).resolve().parents[2] / "apps"


def recorded_actions() -> set[str]:
    found = set()
    for path in APPS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or getattr(node.func, "id", "") != "record":
                continue
            if len(node.args) >= 3 and isinstance(node.args[2], ast.Constant):
                found.add(node.args[2].value)
    return found


def test_every_recorded_action_can_be_filtered():
    recorded = recorded_actions()
    assert len(recorded) > 20  # the scan found the calls
    assert recorded - set(ACTIONS) == set()

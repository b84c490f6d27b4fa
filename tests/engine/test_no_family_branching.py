"""Engine code never branches on a database family's name (DESIGN.md "Dialectless by
construction"): that knowledge lives as data in transports/. This scans every module of
engine/ (AST, so comments and docstrings do not count) for family names used as values to
branch on: compared with == / != / in / not in, matched in `case`, used as dict keys or as
subscripts (`table["mysql"]`)."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FAMILY_NAMES = {"mysql", "mariadb", "postgres", "postgresql", "pg", "sqlite", "sqlite3"}


def family_constants(node: ast.AST) -> list[ast.Constant]:
    """String constants naming a family in `node` itself or in a literal collection."""
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [
        item
        for item in items
        if isinstance(item, ast.Constant)
        and isinstance(item.value, str)
        and item.value.strip().lower() in FAMILY_NAMES
    ]


def violations_in(source: str, filename: str) -> list[str]:
    tree = ast.parse(source, filename=filename)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        suspects: list[ast.Constant] = []
        if isinstance(node, ast.Compare):
            if any(isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops):
                for operand in (node.left, *node.comparators):
                    suspects += family_constants(operand)
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    suspects += family_constants(key)
        elif isinstance(node, ast.Subscript):
            suspects += family_constants(node.slice)
        elif isinstance(node, ast.MatchValue):
            suspects += family_constants(node.value)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in (
            "startswith",
            "endswith",
        ):
            for arg in node.args:
                suspects += family_constants(arg)
        found += [(c.lineno, c.value) for c in suspects]
    return [
        f"{filename}:{line}: family name {value!r} used to branch" for line, value in sorted(found)
    ]


def test_engine_never_branches_on_family_names():
    problems: list[str] = []
    files = sorted(ENGINE.rglob("*.py"))
    assert files, "engine/ has no modules?"
    for path in files:
        rel = str(path.relative_to(ENGINE.parent))
        problems += violations_in(path.read_text(encoding="utf-8"), rel)
    assert not problems, "\n".join(problems)


def test_the_scanner_catches_each_shape():
    bad = """
if scheme == "mysql": pass
if cfg.scheme in ("postgres", "postgresql"): pass
if "MariaDB" != x: pass
ports = {"pg": 5432}
port = ports["sqlite"]
match scheme:
    case "mysql": pass
ok = name.startswith("postgres")
"""
    lines = [v.split(":")[1] for v in violations_in(bad, "x.py")]
    assert lines == ["2", "3", "3", "4", "5", "6", "8", "9"], lines


def test_the_scanner_ignores_data_and_prose():
    fine = '''
"""Talks to mysql and postgres servers."""
# if scheme == "mysql" -- a comment
message = "connect to a sqlite:/// URL instead"
name = "mysql.native_scramble"
if entry.get("inprocess"): pass
'''
    assert violations_in(fine, "y.py") == []

"""The README documents every setting the code reads, and starts with the two commands."""

from __future__ import annotations

from pathlib import Path

from nublox import env

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_environment_variable_is_documented(settings):
    names = [k for k in env.KNOWN if not k.endswith("_FILE")]
    assert len(names) > 15
    missing = [k for k in names if f"`{k}`" not in README]
    assert missing == []


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "bash scripts/run" in first_block and "bash scripts/test" in first_block
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "exec bash scripts/test\n" in ci

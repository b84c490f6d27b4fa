"""The DDL corpus: tests/ir/corpus/<dialect>/*.sql, plain files anyone can extend."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
DIALECTS = ("postgres", "mysql", "sqlite")


def corpus_files() -> list[tuple[str, Path]]:
    files = [(d, p) for d in DIALECTS for p in sorted((CORPUS / d).glob("*.sql"))]
    assert files, "the DDL corpus is empty"
    return files


def corpus_ids() -> list[str]:
    return [f"{d}/{p.name}" for d, p in corpus_files()]

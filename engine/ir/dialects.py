"""Per-dialect IR knowledge, read from transports/flo/<family>/ as data.

The IR is told a sqlglot dialect name (a snapshot's `dialect`, the pack's `sql_dialect`).
What differs between families -- type aliases, how unquoted identifiers fold, the default
schema, how a server names constraints the DDL left unnamed, which constraint forms are
really indexes -- lives in two JSON files next to the family's catalog queries:
`types.json` (the type map) and `ir.json` (everything else). This module finds them through
`transports/registry.json` (the scheme whose pack declares that `sql_dialect`), so adding a
family means adding files, never a branch here.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from engine.errors import ConfigError


@dataclass(frozen=True)
class DialectData:
    """Everything the IR needs to know about one dialect (see docs/snapshot.md)."""

    dialect: str
    folder: str
    #: lower-cased raw type -> canonical type ("int4" -> "integer")
    type_aliases: dict[str, str] = field(default_factory=dict)
    #: canonical base type -> parameters that are its default ("int": "11") and are dropped
    type_default_params: dict[str, str] = field(default_factory=dict)
    #: pseudo types that expand into type + sequence + default ("serial": "integer")
    serial_types: dict[str, str] = field(default_factory=dict)
    #: sequence data type -> [min, max] implied when a sequence states none
    sequence_bounds: dict[str, list[int]] = field(default_factory=dict)
    ir: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.ir.get(key, default)

    @property
    def default_schema(self) -> str:
        return self.ir.get("default_schema", "")

    @property
    def identifier_case(self) -> str:
        """ "lower": unquoted names fold to lower case (quoted ones are kept);
        "preserve": names are kept as written; "insensitive": kept as written in object
        names, folded to lower case inside expressions (so echoes compare equal)."""
        return self.ir.get("identifier_case", "preserve")


def _read_json(path: str) -> dict:
    node = resources.files("transports").joinpath(path)
    if not node.is_file():
        return {}
    try:
        return json.loads(node.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"transports/{path}: not valid JSON ({exc})") from None


@functools.lru_cache(maxsize=1)
def _dialect_folders() -> dict[str, str]:
    """sqlglot dialect name -> FLO data folder, from the registry and each pack's header."""
    registry = _read_json("registry.json").get("schemes", {})
    out: dict[str, str] = {}
    for entry in registry.values():
        flo = entry.get("flo")
        pack = entry.get("pack")
        if not flo or not pack:
            continue
        dialect = _read_json(pack).get("sql_dialect")
        if dialect:
            out.setdefault(dialect, flo)
    return out


def known_dialects() -> tuple[str, ...]:
    return tuple(sorted(_dialect_folders()))


@functools.cache
def dialect_data(dialect: str) -> DialectData:
    """The IR data for `dialect`; an unknown dialect is a ConfigError listing the known."""
    folders = _dialect_folders()
    if dialect not in folders:
        known = ", ".join(sorted(folders))
        raise ConfigError(f"unknown SQL dialect {dialect!r} (known: {known})")
    folder = folders[dialect]
    types = _read_json(f"{folder}/types.json")
    return DialectData(
        dialect=dialect,
        folder=folder,
        type_aliases={k.lower(): v for k, v in types.get("aliases", {}).items()},
        type_default_params=dict(types.get("default_params", {})),
        serial_types=dict(types.get("serial_types", {})),
        sequence_bounds=dict(types.get("sequence_bounds", {})),
        ir=_read_json(f"{folder}/ir.json"),
    )

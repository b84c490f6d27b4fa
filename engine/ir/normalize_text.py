"""The text-only half of `engine.ir.normalize`: canonical types, identifiers, sequences,
table options and the whitespace rules, none of which needs a SQL parser.

Why apart: importing sqlglot costs about a tenth of a second, and a catalog read needs
only these for most fields; `engine.ir.normalize` re-exports all of them, so callers keep
one import path, and the parser is loaded only where a fragment must be parsed.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from engine.ir.dialects import dialect_data
from engine.ir.model import Sequence

_WS = re.compile(r"\s+")
_QUOTED = re.compile(r"('(?:[^']|'')*')")


def collapse(text: str) -> str:
    """The fallback canonical form: whitespace runs become one space, ends trimmed."""
    return _WS.sub(" ", text).strip()


def tidy_code(text: str) -> str:
    """A routine or trigger body kept as written (line breaks end `--` comments, and string
    literals keep their spaces), only trailing spaces and blank edges trimmed."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return "\n".join(lines)


# --- types ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16384)  # pure: learning 1,000 tables repeats fragments
def normalize_type(dialect: str, raw_type: str) -> str:
    """The canonical spelling of a column type: `character varying(255)` -> `varchar(255)`,
    `timestamp(3) with time zone` -> `timestamptz(3)`, `int(11)` -> `int` (MySQL's default
    display width), `integer[]` kept as an array of the canonical element type."""
    data = dialect_data(dialect)
    # fold case and spacing outside quoted text only: enum('A','b c') labels are data
    parts = _QUOTED.split((raw_type or "").strip())
    text = "".join(
        p if i % 2 else re.sub(r"\s*([(),])\s*", r"\1", _WS.sub(" ", p).lower())
        for i, p in enumerate(parts)
    ).strip()
    suffix = ""
    while text.endswith("[]"):
        text, suffix = text[:-2].rstrip(), suffix + "[]"
    params = None
    match = re.fullmatch(r"([^()]*)\((.*)\)([^()]*)", text)
    if match:
        # "timestamp(3) with time zone": the words after the parameters are part of the
        # name; "int(10) unsigned": they are attributes that stay after it
        name, params = collapse(f"{match[1]} {match[3]}"), match[2]
        if name not in data.type_aliases and match[3].strip():
            name = collapse(match[1])
            attrs = collapse(match[3])
        else:
            attrs = ""
    else:
        name, attrs = text, ""
    words = name.split(" ")
    canonical = set(data.type_aliases.values())
    for cut in range(len(words), 0, -1):  # longest known prefix: "integer unsigned"
        head = " ".join(words[:cut])
        if head in data.type_aliases or head in canonical:
            name = data.type_aliases.get(head, head)
            attrs = collapse(" ".join(words[cut:]) + " " + attrs)
            break
    if "(" in name:  # an alias that carries its own parameters (bool -> tinyint(1))
        return collapse(f"{name} {attrs}") + suffix
    if params is not None and data.type_default_params.get(collapse(f"{name} {attrs}")) == params:
        params = None
    out = name + (f"({params})" if params is not None else "")
    return collapse(f"{out} {attrs}") + suffix


# --- identifiers ---------------------------------------------------------------------------


def normalize_identifier(dialect: str, name: str, *, quoted: bool = False) -> str:
    """An object name as the catalog will spell it: unquoted names fold where the
    dialect folds them (PostgreSQL: lower case), quoted ones are kept as written."""
    if not quoted and dialect_data(dialect).identifier_case == "lower":
        return name.lower()
    return name


# --- records -------------------------------------------------------------------------------


def normalize_sequence(dialect: str, seq: Sequence) -> Sequence:
    """Bounds equal to the data type's defaults (ascending) become None, so a sequence
    stated with and without its default MINVALUE/MAXVALUE is one IR."""
    data = dialect_data(dialect)
    data_type = normalize_type(dialect, seq.data_type)
    lo, hi = data.sequence_bounds.get(data_type, (None, None))
    return dataclasses.replace(
        seq,
        data_type=data_type,
        min_value=None if seq.increment > 0 and seq.min_value == lo else seq.min_value,
        max_value=None if seq.increment > 0 and seq.max_value == hi else seq.max_value,
    )


def normalize_table_options(dialect: str, options) -> tuple[tuple[str, str], ...]:
    """Table options as sorted (lower-case key, value) pairs, dropping values equal to the
    family's defaults (`table_option_defaults`, e.g. engine InnoDB)."""
    defaults = {
        k.lower(): str(v).lower()
        for k, v in dialect_data(dialect).get("table_option_defaults", {}).items()
    }
    out = {}
    for key, value in options:
        k = collapse(str(key)).lower().replace(" ", "_")
        v = collapse(str(value))
        if defaults.get(k) == v.lower():
            continue
        out[k] = v
    return tuple(sorted(out.items()))

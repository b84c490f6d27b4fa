"""Column types across dialects, through a small portable vocabulary.

Each family's `transports/flo/<family>/convert.json` says how its normalised types (the
spellings engine.ir.normalize produces: "bigint unsigned", "varchar(190)", "timestamptz(3)",
"enum('a','b')", "text[]") map to portable types ("uint64", "varchar(190)",
"timestamptz(3)", "enum('a','b')", "array" of an element) and back to its own. Going through
one vocabulary means N families need 2N tables, not N*N, and a new family is two tables.

An entry is a template (`{params}` is the source parameters, `{element}` an array's
element type) or an object: `type` (the template), `params` (the parameters a bare spelling
means: MySQL DATETIME is DATETIME(0), PostgreSQL TIMESTAMP is TIMESTAMP(6)), `omit_params`
(parameters the family's own bare spelling means, so they are dropped), `bare` (the type when
no parameters were given: PostgreSQL NUMERIC is unbounded), `loss` (why the mapping is
approximate; becomes a Loss). Unknown types fall back to text, with a Loss.

PostgreSQL user types (enum, domain, composite) are resolved through the snapshot before
mapping: an enum column carries its labels, a domain its base type.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from engine.errors import ConfigError
from engine.ir.dialects import _read_json, dialect_data
from engine.ir.model import Snapshot, UserType
from engine.ir.normalize import normalize_type

_SHAPE = re.compile(r"^([^()]*?)\s*(?:\((.*)\))?\s*([^()]*)$")
_DOMAIN_END = re.compile(r"\s+(DEFAULT|NOT\s+NULL|NULL|CHECK|CONSTRAINT|COLLATE)\b", re.I)


@functools.cache
def convert_data(dialect: str) -> dict[str, Any]:
    """The family's convert.json (ConfigError when the family has none)."""
    folder = dialect_data(dialect).folder
    data = _read_json(f"{folder}/convert.json")
    if not data:
        raise ConfigError(f"transports/{folder}/convert.json is missing: no conversion data")
    return data


@dataclass(frozen=True)
class Mapped:
    """A column type in the target dialect, with the portable type it went through and
    the reasons (if any) the mapping is approximate."""

    type: str
    portable: str
    losses: tuple[str, ...] = ()
    #: enum labels when the target keeps an enum as text + CHECK
    enum_labels: tuple[str, ...] = ()


def split_type(text: str) -> tuple[str, str | None, int]:
    """ "varchar(190)" -> ("varchar", "190", 0); "bigint unsigned" -> ("bigint unsigned",
    None, 0); "text[]" -> ("text", None, 1); "timestamp(3) with time zone" keeps its words."""
    text = text.strip()
    depth = 0
    while text.endswith("[]"):
        text, depth = text[:-2].rstrip(), depth + 1
    match = _SHAPE.match(text)
    if not match:
        return text, None, depth
    name = " ".join(w for w in (match[1], match[3]) if w.strip())
    return name.strip(), match[2], depth


def enum_labels(params: str) -> tuple[str, ...]:
    """ "'a','b c'" -> ("a", "b c") (quotes doubled inside a label are undone)."""
    return tuple(m.replace("''", "'") for m in re.findall(r"'((?:[^']|'')*)'", params or ""))


def enum_params(labels) -> str:
    return ",".join("'" + label.replace("'", "''") + "'" for label in labels)


def _entry(raw: Any) -> dict[str, Any]:
    return {"type": raw} if isinstance(raw, str) else dict(raw)


def _fill(entry: dict[str, Any], params: str | None, **more: str) -> tuple[str, str | None]:
    """Expand an entry's template; returns (type, loss or None)."""
    loss = entry.get("loss")
    if params is None:
        params = entry.get("params")
    if params is not None and params == entry.get("omit_params"):
        params = None
    template = entry["type"]
    if params is None and "{params}" in template:
        if "bare" in entry:
            return entry["bare"], entry.get("loss_bare", loss)
        template = template.replace("({params})", "")
    return template.format(params=params or "", **more), loss


class TypeMapper:
    """Maps the column types of one snapshot (source dialect) into `target`."""

    def __init__(self, snapshot: Snapshot, target: str) -> None:
        self.source = snapshot.dialect
        self.target = target
        self.src = convert_data(snapshot.dialect)
        self.dst = convert_data(target)
        default = dialect_data(snapshot.dialect).default_schema
        self.user_types: dict[str, UserType] = {}
        for t in snapshot.types:
            self.user_types[f"{t.schema}.{t.name}"] = t
            if t.schema == default:
                self.user_types[t.name] = t

    # -- source -> portable -------------------------------------------------------------
    def portable(self, type_text: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """(portable type, losses, enum labels) of a source column type."""
        name, params, depth = split_type(type_text)
        user = self.user_types.get(type_text.rstrip("[]").strip())
        if user is not None:
            base, losses, labels = self._user_type(user)
        else:
            base, losses, labels = self._builtin(type_text.rstrip("[]").strip(), name, params)
        return base + "[]" * depth, losses, labels

    def _builtin(self, full: str, name: str, params: str | None):
        table = self.src.get("to_portable", {})
        words = name.split(" ")
        candidates = [full] + [" ".join(words[:n]) for n in range(len(words), 0, -1)]
        for key in candidates:
            if key in table:
                own = None if key == full and "(" in full else params
                out, loss = _fill(_entry(table[key]), own)
                labels = enum_labels(params) if out.startswith("enum(") else ()
                return out, (loss,) if loss else (), labels
        for needle, portable in self.src.get("affinity", []):
            if needle in name:
                return portable, (), ()
        if self.src.get("affinity_default"):
            return self.src["affinity_default"], (), ()
        return "text", (f"unknown type {full} -> text",), ()

    def _user_type(self, user: UserType):
        if user.kind == "enum":
            return f"enum({enum_params(user.labels)})", (), user.labels
        if user.kind == "domain" and user.definition:
            base_text = _DOMAIN_END.split(user.definition, maxsplit=1)[0].strip()
            base = normalize_type(self.source, base_text)
            portable, losses, labels = self.portable(base)
            why = f"domain {user.name} -> its base type {base}: its constraints are not kept"
            return portable, (*losses, why), labels
        return "composite", (), ()

    # -- portable -> target -------------------------------------------------------------
    def to_target(self, portable: str) -> tuple[str, tuple[str, ...]]:
        name, params, depth = split_type(portable)
        table = self.dst.get("from_portable", {})
        if depth:
            element, losses = self.to_target(portable[:-2])
            entry = _entry(table.get("array", "text"))
            out, loss = _fill(entry, None, element=element)
            return out, (*losses, *((loss,) if loss else ()))
        if name == "enum" and self.dst.get("enum") == "check":
            out, losses = self.to_target("text")
            return out, (*losses, "enum column -> text with CHECK")
        if name not in table:
            out, loss = _fill(_entry(table.get("text", "text")), None)
            return out, (f"no {name} type: stored as {out}",)
        out, loss = _fill(_entry(table[name]), params)
        return out, (loss,) if loss else ()

    def map(self, type_text: str) -> Mapped:
        portable, losses, labels = self.portable(type_text)
        out, more = self.to_target(portable)
        out = normalize_type(self.target, out)
        keep_labels = labels if self.dst.get("enum") == "check" else ()
        return Mapped(type=out, portable=portable, losses=(*losses, *more), enum_labels=keep_labels)

    def key_type(self, type_text: str) -> tuple[str, str] | None:
        """(replacement type, why) when the target cannot use `type_text` in a key."""
        entry = self.dst.get("key_types", {}).get(type_text)
        if entry is None:
            return None
        entry = _entry(entry)
        return normalize_type(self.target, entry["type"]), entry.get("loss", "")

    # -- collations ---------------------------------------------------------------------
    def collation(self, name: str | None) -> tuple[str | None, str | None]:
        """(target collation or None, loss or None)."""
        if name is None:
            return None, None
        portable = self.src.get("collations", {}).get("to_portable", {}).get(name)
        targets = self.dst.get("collations", {}).get("from_portable", {})
        if portable is None or portable not in targets:
            return None, f"collation {name} has no equivalent: the target's default applies"
        return targets[portable], None

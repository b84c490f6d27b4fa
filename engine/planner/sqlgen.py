"""SQL text for plan operations: ALTER spellings from data, CREATE statements from the IR
renderer.

Why two sources: a CREATE statement must be exactly what `engine.ir.render` writes (that is
what makes a planned database hash like the desired one), so single objects are rendered by
the same `_Renderer` methods, captured one object at a time. ALTER statements differ per
family in ways no renderer knows (MODIFY COLUMN vs ALTER COLUMN ... TYPE, DROP FOREIGN KEY vs
DROP CONSTRAINT, what cannot be altered at all), so they are templates looked up by key in
`transports/flo/<family>/plan.json` ("sql"); a key that is missing or null means the family's
ALTER cannot express the change and the caller falls back (table rebuild, drop + create).
Lock facts per operation kind come from the same file ("locks"), in the server's own words.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from importlib import resources
from typing import Any

from engine.errors import ConfigError
from engine.ir import model
from engine.ir.dialects import dialect_data
from engine.ir.render import _Renderer
from engine.planner.model import Lock

_LOCK_FIELDS = {f.name for f in dataclasses.fields(Lock)}


@functools.cache
def plan_data(dialect: str) -> dict:
    """transports/flo/<family>/plan.json for `dialect` ({} when the family has none)."""
    folder = dialect_data(dialect).folder
    node = resources.files("transports").joinpath(f"{folder}/plan.json")
    if not node.is_file():
        return {}
    try:
        return json.loads(node.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"transports/{folder}/plan.json: not valid JSON ({exc})") from None


class SqlGen:
    """Renders the SQL of one dialect's operations. `snapshot` is the side whose objects
    are being created (render settings only depend on the dialect)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.data = plan_data(dialect)
        self.templates: dict[str, Any] = self.data.get("sql", {})
        self.r = _Renderer(model.Snapshot(dialect=dialect))
        self.ir = self.r.data

    # -- data lookups -----------------------------------------------------------------
    def can(self, key: str) -> bool:
        return self.templates.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        value = self.templates.get(key)
        return default if value is None else value

    def sql(self, key: str, **values: str) -> str | None:
        """The template `key` filled with `values`, or None when the family cannot."""
        template = self.templates.get(key)
        if template is None:
            return None
        return template.format(**values)

    def lock(self, kind: str) -> Lock:
        locks = self.data.get("locks", {})
        spec = locks.get(kind, locks.get("*", {}))
        return Lock(**{k: v for k, v in spec.items() if k in _LOCK_FIELDS})

    @property
    def schemas(self) -> bool:
        return bool(self.r.r.get("schemas"))

    # -- quoting ----------------------------------------------------------------------
    def q(self, name: str) -> str:
        return self.r.q(name)

    def qn(self, schema: str, name: str) -> str:
        return self.r.qn(schema, name)

    def lit(self, text: str) -> str:
        return self.r.lit(text)

    # -- single objects through the IR renderer --------------------------------------
    def _capture(self, snapshot: model.Snapshot | None, fn, *args) -> list[str]:
        r = self.r
        if snapshot is not None:
            r.s = snapshot
        r.out, r.late = [], []
        fn(*args)
        out = r.out + r.late
        r.out, r.late = [], []
        return out

    def create_table(self, t: model.Table, name: str | None = None) -> list[str]:
        """CREATE TABLE (plus COMMENT ON statements where comments are separate); foreign
        keys are inline only where the family renders them inline. `name` renames."""
        table = dataclasses.replace(t, name=name) if name else t
        return self._capture(None, self.r.table, table)

    def partitions(self, t: model.Table) -> list[str]:
        return self._capture(None, self.r.partitions, t)

    def create_index(self, schema: str, table: str, index: model.Index) -> list[str]:
        return self._capture(None, self.r.index, schema, table, index)

    def create_view(self, snapshot: model.Snapshot, view: model.View) -> list[str]:
        return self._capture(snapshot, self.r.view, view)

    def create_type(self, t: model.UserType) -> list[str]:
        return self._capture(None, self.r.user_type, t)

    def create_sequence(self, seq: model.Sequence) -> list[str]:
        return self._capture(None, self.r.sequence, seq)

    def column_def(self, t: model.Table, c: model.Column) -> tuple[str, list[str]]:
        """(column definition, statements that must follow it: COMMENT ON ...)."""
        r = self.r
        r.out, r.late = [], []
        text = r.column(t, c, set())
        late, r.late = r.late, []
        return text, late

    def foreign_key(self, fk: model.ForeignKey) -> str:
        """The renderer's FOREIGN KEY clause without `ON DELETE/UPDATE NO ACTION`: NO ACTION
        is the IR's "nothing said", and a family whose unstated action differs (MariaDB
        reports RESTRICT) must get what it does when nothing is said, as a fresh database
        created from the desired DDL has."""
        text = self.r.foreign_key(fk)
        return text.replace(" ON DELETE NO ACTION", "").replace(" ON UPDATE NO ACTION", "")

    def named(self, name: str | None, body: str) -> str:
        return self.r.named(name, body)

    def cols(self, names) -> str:
        return self.r.cols(names)

    def table_tail(self, t: model.Table) -> str:
        return self.r.table_tail(t)

    def table_option(self, key: str, value: str) -> str | None:
        opts = self.r.r.get("table_options", {})
        template = opts.get(key, opts.get("*"))
        return template.format(KEY=key.upper(), value=value) if template else None

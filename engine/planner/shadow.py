"""Shadow-table copy: change a table's shape without blocking its writers.

For a change the server can only make by copying the table under a lock (a column type
change on InnoDB), the plan instead:

1. clears debris of an earlier attempt (the tool's own `_sqlx_*` names only);
2. creates `_sqlx_new_<t>` like the table and applies the op's own ALTER statements to it
   (so the new shape is spelled exactly as diff spelled it);
3. adds sync triggers `_sqlx_sync_<t>_ins|upd|del` on the table that mirror every write
   into the new table by primary key;
4. copies the existing rows in primary-key chunks (the `copy_chunks` step below), never
   overwriting a row a trigger already wrote (it is newer);
5. swaps the tables with one atomic RENAME, then drops the triggers and the old table.

Every statement's spelling is data (`shadow` in transports/flo/<family>/online.json); this
module only sequences them and fills in names. A table without a primary key (nothing to
copy by), with foreign keys (a RENAME would re-point or break them) or with triggers of its
own (they would stay on the old table) is refused: the op stays plain and says why.

`copy_chunks` is resumable: after each chunk it saves the last key copied through
`ctx.save_state`, so an apply killed half-way resumes after that key; it reports progress,
sleeps `ctx.throttle_ms` between chunks, waits while `ctx.paused()`, and retries a chunk
that lost a lock wait or a deadlock (error numbers or SQLSTATEs from the data). The
shadow-column type change (engine.planner.shadow_column) runs its chunked UPDATE through
the same executor.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

from engine.errors import ServerError
from engine.planner import online_steps  # noqa: F401  (registers sql_with_cleanup)
from engine.planner.model import Operation, Step
from engine.planner.online import Env, fill, literal
from engine.planner.steps import StepContext, register

#: ALTER TABLE <name or schema.name, quoted or not> <rest>
_ALTER = re.compile(
    r"^(\s*ALTER\s+TABLE\s+)((?:`[^`]+`|\"[^\"]+\"|[^\s.`\"]+)(?:\.(?:`[^`]+`|\"[^\"]+\"|[^\s.`\"]+))?)(\s)",
    re.I,
)
PAUSE_POLL_S = 0.2


def _unquote(token: str) -> str:
    return token.split(".")[-1].strip('`"[]')


def retarget(sql: str, table: str, new_table_sql: str) -> str | None:
    """`ALTER TABLE <table> ...` with the new table's name, or None if `sql` is not that."""
    m = _ALTER.match(sql)
    if not m or _unquote(m.group(2)) != table:
        return None
    return m.group(1) + new_table_sql + m.group(3) + sql[m.end() :]


def _copy_columns(env: Env) -> list[str]:
    """Columns the table has when the copy runs (after the plan's earlier operations: a
    column added or renamed before it is copied under its name then) that the new shape
    keeps, and that can be written (generated ones are computed)."""
    out = []
    for name in env.live_columns():
        old = env.from_table.column(name)
        new = env.to_table.column(name) if env.to_table is not None else None
        if new is not None and new.generated is None and (old is None or old.generated is None):
            out.append(name)
    return out


def _widening_back(env: Env) -> bool:
    """Is the way back sure to convert every value? A rollback that narrows must not run
    through sync triggers (a value that does not fit would fail the table's writes)."""
    from engine.planner.diff_columns import type_change

    old, new = env.column("from"), env.column("to")
    if old is None or new is None:
        return True  # not a column change: the shape goes back as it came
    return old.type == new.type or type_change(new.type, old.type) == "widening"


def _steps(env: Env, sh: dict, values: dict, alters: list[str], copy_params: dict):
    plain = lambda sql: Step(sql=sql, transactional=False)  # noqa: E731
    steps = [plain(fill(s, values)) for s in sh["prepare"]]
    steps.append(plain(fill(sh["create"], values)))
    steps += [plain(sql) for sql in alters]
    steps += [plain(fill(s, values)) for s in sh["triggers"]]
    sample = fill(sh["copy"]["insert"], values | {
        "source": values["table"], "target": values["new_table"],
        "range": f"({values['key']}) > (last key copied) AND ({values['key']}) <= (chunk end)",
    })  # fmt: skip
    steps.append(Step(sql=sample, kind="copy_chunks", transactional=False,
                      params=tuple(sorted(copy_params.items()))))  # fmt: skip
    steps.append(plain(fill(sh["swap"], values)))
    steps += [plain(fill(s, values)) for s in sh["finish"]]
    return tuple(steps)


def build_shadow(op: Operation, rule: dict, env: Env):
    """(steps, rollback) for a shadow-table copy of `op`, or the reason it cannot be one."""
    sh = env.data.get("shadow")
    if not sh:
        return "the family has no shadow-copy procedure"
    if env.from_table is None or env.table_name is None:
        return "the table is not in the current schema"
    pk = env.from_table.primary_key
    if pk is None:
        return "the table has no primary key to copy it by"
    t = env.table_name
    names = {
        "new_table": fill(sh["new_table"], {"table_name": t}),
        "old_table": fill(sh["old_table"], {"table_name": t}),
        **{f"trigger_{e}": fill(sh["trigger"], {"table_name": t, "event": e})
           for e in ("ins", "upd", "del")},
    }  # fmt: skip
    limit = int(sh.get("max_identifier_length") or 64)
    too_long = [n for n in names.values() if len(n) > limit]
    if too_long:
        return f"the helper name {too_long[0]} is longer than {limit} characters"
    q = env.q
    columns = _copy_columns(env)
    values = dict(env.placeholders())
    values.update({k: env.qualified(v) for k, v in names.items()})
    values.update(
        columns=", ".join(q(c) for c in columns),
        new_values=", ".join(fill(sh["new_value"], {"column": q(c)}) for c in columns),
        old_key_match=" AND ".join(fill(sh["old_key_match"], {"column": q(c)}) for c in pk.columns),
        key=", ".join(q(c) for c in pk.columns),
        first_key=q(pk.columns[0]),
        chunk_rows=sh["copy"]["chunk_rows"],
    )
    alters = [
        retarget(s.sql, t, values["new_table"]) if s.kind == "sql" else None for s in op.steps
    ]
    if not alters or None in alters:
        return "its SQL is not ALTER TABLE statements on the table"
    copy = sh["copy"]
    copy_params = {
        "source": values["table"],
        "target": values["new_table"],
        "key": [q(c) for c in pk.columns],
        "key_names": list(pk.columns),
        "columns": [q(c) for c in columns],
        "chunk_rows": int(copy["chunk_rows"]),
        "bound": copy["bound"],
        "insert": copy["insert"],
        "dialect": env.dialect,
        "retry_codes": list(copy.get("retry_codes", ())),
        "retries": int(copy.get("retries", 3)),
        "total": env.context.rows(env.schema, t),
    }
    steps = _steps(env, sh, values, alters, copy_params)
    rollback = op.rollback  # the plain ALTER back, unless it too converts every value
    if op.rollback is not None and _widening_back(env):
        back = [retarget(s.sql, t, values["new_table"]) if s.kind == "sql" else None
                for s in op.rollback]  # fmt: skip
        if back and None not in back:
            rollback = _steps(env, sh, values, back, copy_params)
    env.extra["lock"] = sh["lock"]
    env.extra["note"] = fill(sh["note"], values)
    return steps, rollback


# ---------------------------------------------------------------------- copy_chunks
def _sql_value(dialect: str, value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dict) and "hex" in value:
        return f"X'{value['hex']}'"
    if isinstance(value, bytes | bytearray):
        return f"X'{bytes(value).hex()}'"
    return literal(dialect, str(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, bytes | bytearray):
        return {"hex": bytes(value).hex()}
    return str(value)


def _compare(key: list[str], values: list[Any], op: str, dialect: str) -> str:
    lits = [_sql_value(dialect, v) for v in values]
    if len(key) == 1:
        return f"{key[0]} {op} {lits[0]}"
    return f"({', '.join(key)}) {op} ({', '.join(lits)})"


def _with_retries(session: Any, sql: str, codes: list[int], retries: int) -> int:
    for attempt in range(retries + 1):
        try:
            return session.execute(sql)
        except ServerError as exc:
            if (exc.code not in codes and exc.sqlstate not in codes) or attempt == retries:
                raise
            time.sleep(0.05 * (attempt + 1))
    return 0


@register("copy_chunks", sql_runs_as_is=False)
def copy_chunks(session: Any, step: Step, ctx: StepContext) -> None:
    """Copy `source` into `target` by primary-key ranges of `chunk_rows` (see module doc)."""
    p = dict(step.params)
    key, dialect = p["key"], p["dialect"]
    state = dict(ctx.state or {})
    if state.get("done"):
        return
    last = state.get("last")
    copied = int(state.get("copied", 0))
    chunk = max(1, int(p["chunk_rows"]))
    names = {"source": p["source"], "target": p["target"], "key": ", ".join(key),
             "columns": ", ".join(p["columns"]), "first_key": key[0]}  # fmt: skip
    while True:
        while ctx.paused():
            time.sleep(PAUSE_POLL_S)
        after = _compare(key, last, ">", dialect) if last is not None else "1 = 1"
        bound = session.query(fill(p["bound"], names | {"after": after, "offset": chunk - 1}))
        upper = list(bound.rows[0]) if bound.rows else None
        where = after if upper is None else f"{after} AND {_compare(key, upper, '<=', dialect)}"
        sql = fill(p["insert"], names | {"range": where})
        copied += _with_retries(
            session, sql, p.get("retry_codes") or [], int(p.get("retries") or 0)
        )
        if upper is None:
            ctx.save_state({"last": last, "copied": copied, "done": True})
            ctx.progress(copied, p.get("total"), "copy finished")
            return
        last = [_jsonable(v) for v in upper]
        ctx.save_state({"last": last, "copied": copied})
        ctx.progress(copied, p.get("total"), f"copied up to key {last}")
        if ctx.throttle_ms:
            time.sleep(ctx.throttle_ms / 1000.0)

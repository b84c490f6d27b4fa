"""Shadow-column type change: a column's type changed without blocking the table's writers.

A plain `ALTER COLUMN ... TYPE` that is not a catalog-only widening rewrites the whole
table under an ACCESS EXCLUSIVE lock: every read and write waits for the rewrite (seconds
per million rows). The shadow column does the rewrite beside the live column instead:

1. clears debris of an earlier attempt (the tool's own `_sqlx_*` names only);
2. adds `_sqlx_new_<column>` of the new type (catalog only: nullable, no default);
3. a BEFORE INSERT OR UPDATE trigger fills it from the live column on every write;
4. fills the existing rows in primary-key chunks (the `copy_chunks` executor of
   engine.planner.shadow: resumable, throttled, pausable, retried on lock waits);
5. builds every plain index, primary key and unique constraint on the column again on the
   new column, CONCURRENTLY; a NOT NULL column gets a NOT VALID check, then VALIDATE
   (neither blocks writes);
6. swaps in one short transaction (a `sql_transaction` step): lock the table, SET NOT
   NULL (proved by the check, no scan), hand owned sequences over, drop the old column
   (which drops its indexes), rename the new one into its place, attach the rebuilt
   indexes under the old names and constraints, restore default and comment, drop the
   trigger.

Only for a widening (every old value converts: int -> bigint, a longer char(n)): the sync
trigger converts every write, and a conversion that could fail would fail the table's
writes while the shadow exists; the plain ALTER, which fails whole, stays for the rest.
For the same reason the rollback (a narrowing) is the plain ALTER back.

The column moves to the end of the table (the plan's verification compares column order
aside, and the note says so); every row is updated once, so the table takes about twice
its space until VACUUM reclaims the old row versions. What the column takes part in that
the swap could not carry over (a check, an expression or partial index, a generated
column, a partitioned table) makes the strategy refuse, and the op stays plain.

Statements are spelled in the family's data (`shadow_column` in
transports/flo/<family>/online.json); this module only decides and sequences them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any

from engine.ir import model
from engine.planner import online_steps  # noqa: F401  (registers sql_with_cleanup)
from engine.planner.diff_columns import type_change
from engine.planner.model import Operation, Step
from engine.planner.online import Env, cleanup_step, fill, literal
from engine.planner.online_steps import transaction_step
from engine.planner.sqlgen import SqlGen

__all__ = ["build_shadow_column"]


def _mentions(text: str | None, column: str) -> bool:
    """Does an expression's text name the column (quoted or not)?"""
    if not text:
        return False
    name = re.escape(column)
    return re.search(rf'(?<![\w$]){name}(?![\w$])|"{name}"', text, re.I) is not None


def _refusal(table: model.Table, column: str, snapshot: Any) -> str | None:
    """Why the swap could not carry the column's part in the table over, if it could not."""
    col = table.column(column)
    if col.identity or col.generated is not None:
        return "the column is an identity or generated column"
    if table.partitioning is not None:
        return "the table is partitioned"
    if any(p.partitioning and any(n == table.name for n, _ in p.partitioning.partitions)
           for p in snapshot.tables if p.schema == table.schema):  # fmt: skip
        return "the table is a partition"
    for other in table.columns:
        if other.name != column and _mentions(other.generated, column):
            return f"the generated column {other.name} is computed from it"
    for check in table.checks:
        if _mentions(check.expression, column):
            return f"the check {check.name} reads it"
    for index in table.indexes:
        if _mentions(index.predicate, column) or column in index.include:
            return f"the index {index.name} reads it in its predicate or INCLUDE list"
        if any(_mentions(p.expression, column) for p in index.parts):
            return f"the expression index {index.name} reads it"
    return None


def _names(sh: dict, table: str, column: str, limit: int) -> dict[str, str]:
    """Helper object names: readable when they fit the server's identifier limit, else a
    stable digest of table and column (the same on every run, so debris is found)."""
    key = hashlib.sha1(f"{table}.{column}".encode()).hexdigest()[:12]
    out = {}
    for name, template in sh["names"].items():
        full = fill(template, {"table_name": table, "column_name": column, "key": key})
        out[name] = full if len(full) <= limit else fill(template, {
            "table_name": key, "column_name": "c", "key": key})  # fmt: skip
    return out


def _rebuilt_indexes(table: model.Table, column: str) -> list[tuple[str, model.Index, str]]:
    """(what, index, constraint name) for every index through the column: "index" for a
    plain index, "primary_key" / "unique" for the index behind a constraint."""
    out: list[tuple[str, model.Index, str]] = []
    constraints = {u.name: "unique" for u in table.uniques if column in u.columns}
    pk = table.primary_key
    if pk is not None and column in pk.columns:
        constraints[pk.name or f"{table.name}_pkey"] = "primary_key"
    for index in table.indexes:
        if any(p.column == column for p in index.parts):
            out.append((constraints.pop(index.name, "index"), index, index.name))
    for name, what in constraints.items():  # constraint indexes the IR keeps apart
        columns = pk.columns if what == "primary_key" else next(
            u.columns for u in table.uniques if u.name == name)  # fmt: skip
        index = model.Index(name, tuple(model.IndexPart(column=c) for c in columns), unique=True)
        out.append((what, index, name))
    return out


def _procedure(env: Env, sh: dict, old: model.Column, new: model.Column, table: model.Table):
    """Steps turning column `old` (as the table has it now) into `new`'s type."""
    dialect, q = env.dialect, env.q
    limit = int(env.context.capabilities.get("max_identifier_length") or sh.get(
        "max_identifier_length") or 63)  # fmt: skip
    names = _names(sh, table.name, old.name, limit)
    gen = SqlGen(dialect)
    collate = gen.sql("collate", collation=q(new.collation)) if new.collation else ""
    values = dict(env.placeholders())
    values.update(
        column=q(old.name),
        column_lit=literal(dialect, old.name),
        new_column=q(names["new_column"]),
        new_column_lit=literal(dialect, names["new_column"]),
        function=env.qualified(names["function"]),
        trigger=q(names["trigger"]),
        check=q(names["check"]),
        type=new.type,
        collate=collate or "",
    )
    values["table_lit"] = literal(dialect, values["table"])
    values["convert_new"] = fill(sh["convert"], values | {"source": f"NEW.{values['column']}"})
    values["convert"] = fill(sh["convert"], values | {"source": values["column"]})
    rebuilt = _rebuilt_indexes(table, old.name)
    temp = {idx.name: f"{names['index_prefix']}{i}" for i, (_, idx, _) in enumerate(rebuilt)}

    plain = lambda sql: Step(sql=sql, transactional=False)  # noqa: E731
    steps = [plain(fill(s, values)) for s in sh["prepare"]]
    steps += [plain(fill(sh["drop_index"], values | {"index": env.qualified(t)}))
              for t in temp.values()]  # fmt: skip
    steps += [plain(fill(s, values)) for s in sh["add"]]
    steps.append(_backfill(env, sh, values, table))
    for _, index, _ in rebuilt:
        steps.append(_index_step(env, sh, gen, table, index, old.name, names, temp[index.name]))
    if not old.nullable:
        steps.append(plain(fill(sh["not_null"]["add_check"], values)))
        steps.append(
            Step(
                fill(sh["not_null"]["validate"], values),
                "sql_with_cleanup",
                transactional=False,
                params=(("cleanup", fill(sh["not_null"]["cleanup"], values)),),
            )
        )
    swap = [fill(sh["swap"]["lock"], values)]
    if not old.nullable:
        swap += [fill(s, values) for s in sh["swap"]["not_null"]]
    for seq in env.context.from_snapshot.sequences if env.context.from_snapshot else ():
        if seq.schema == table.schema and seq.owned_by == f"{table.name}.{old.name}":
            swap.append(fill(sh["swap"]["sequence"], values | {
                "sequence": env.qualified(seq.name)}))  # fmt: skip
    swap += [fill(s, values) for s in sh["swap"]["replace"]]
    for what, index, constraint in rebuilt:
        t = {"temp": q(temp[index.name]), "temp_index": env.qualified(temp[index.name]),
             "name": q(constraint)}  # fmt: skip
        swap.append(fill(sh["swap"]["attach"][what], values | t))
    if new.default is not None:
        swap.append(fill(sh["swap"]["default"], values | {"default": new.default}))
    if old.comment is not None:
        swap.append(fill(sh["swap"]["comment"], values | {"text": literal(dialect, old.comment)}))
    swap += [fill(s, values) for s in sh["swap"]["finish"]]
    steps.append(transaction_step(swap, done_if=fill(sh["swap"]["done_if"], values)))
    return tuple(steps), values


def _backfill(env: Env, sh: dict, values: dict, table: model.Table) -> Step:
    pk = table.primary_key
    key = [env.q(c) for c in pk.columns]
    copy = sh["copy"]
    update = fill(copy["update"], values | {"range": "\0"})
    update = update.replace("{", "{{").replace("}", "}}").replace("\0", "{range}")
    params = {
        "source": values["table"],
        "target": values["table"],
        "key": key,
        "key_names": list(pk.columns),
        "columns": key,
        "chunk_rows": int(copy["chunk_rows"]),
        "bound": copy["bound"],
        "insert": update,
        "dialect": env.dialect,
        "retry_codes": list(copy.get("retry_codes", ())),
        "retries": int(copy.get("retries", 3)),
        "total": env.context.rows(env.schema, table.name),
    }
    shown = fill(update, {"range": f"({', '.join(key)}) > (last key) AND "
                                   f"({', '.join(key)}) <= (chunk end)"})  # fmt: skip
    return Step(sql=shown, kind="copy_chunks", transactional=False,
                params=tuple(sorted(params.items())))  # fmt: skip


def _index_step(env, sh, gen, table, index, column, names, temp) -> Step:
    parts = tuple(replace(p, column=names["new_column"]) if p.column == column else p
                  for p in index.parts)  # fmt: skip
    twin = replace(index, name=temp, parts=parts)
    sql = gen.create_index(table.schema, table.name, twin)[0]
    sql = re.sub(sh["concurrently"]["pattern"], sh["concurrently"]["replace"], sql, count=1)
    v = {"schema_lit": literal(env.dialect, table.schema), "name_lit": literal(env.dialect, temp),
         "index": env.qualified(temp)}  # fmt: skip
    rule = {"cleanup_sql": sh["drop_index"], "invalid_index_sql": sh["invalid_index"]}
    return cleanup_step(sql, v, rule, transactional=False)


def build_shadow_column(op: Operation, rule: dict, env: Env):
    """(steps, rollback) for a shadow-column type change, or the reason it cannot be one."""
    sh = env.data.get("shadow_column")
    if not sh:
        return "the family has no shadow-column procedure"
    a, b = env.from_table, env.to_table
    old, new = env.column("from"), env.column("to")
    if a is None or b is None or old is None or new is None:
        return "the column is missing on one side"
    if a.primary_key is None:
        return "the table has no primary key to fill the new column by"
    renamed = env.renamed_columns_earlier()
    if renamed:
        return f"the plan renames its column {renamed[0]} first (the names would not match)"
    for table, column, snap in ((a, old.name, env.context.from_snapshot),
                                (b, new.name, env.context.to_snapshot)):  # fmt: skip
        reason = _refusal(table, column, snap)
        if reason:
            return reason
    if b.primary_key is None:
        return "the desired table has no primary key to fill the column by on rollback"
    steps, values = _procedure(env, sh, old, new, a)
    rollback = op.rollback  # narrowing back: the plain ALTER, which fails whole or not at all
    if op.rollback is not None and type_change(new.type, old.type) == "widening":
        # when the rollback runs, the ops after this one are undone already: the column
        # has the current side's nullability and comment again (they are ops of their own)
        now = replace(new, nullable=old.nullable, comment=old.comment)
        rollback, _ = _procedure(env, sh, now, old, b)
    env.extra["note"] = fill(sh["note"], values | {"chunk_rows": sh["copy"]["chunk_rows"]})
    env.extra["lock"] = sh["lock"]
    return steps, rollback

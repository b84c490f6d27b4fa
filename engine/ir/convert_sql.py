"""SQL fragments across dialects: defaults, checks, generation expressions, index
expressions and predicates, view definitions.

A fragment is parsed in the source dialect, its table references are renamed the way the
conversion renamed the objects (schemas merged or mapped, collisions renamed), it is written
by sqlglot in the target dialect with unsupported constructs raising instead of being
silently dropped, and the text is normalised for the target (engine.ir.normalize) so it
equals what the target server echoes. A fragment that fails any step is kept as it was and
the caller records a Loss with the reason: the planner then shows it instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from engine.ir.normalize import collapse, normalize_default, normalize_expr, normalize_view

#: (schema or None, name) -> (schema or None, name): how a table reference is renamed
Rename = Callable[[str | None, str], tuple[str | None, str]]


class FragmentError(Exception):
    """A fragment sqlglot cannot carry into the target dialect (the message says why)."""


class Fragments:
    def __init__(self, source: str, target: str, rename: Rename) -> None:
        self.source = source
        self.target = target
        self.rename = rename
        #: type -> the parameters the target writes out when a cast names the bare type
        self.cast_params: dict[str, str] = {}

    def _tree(self, sql: str) -> exp.Expression:
        try:
            tree = sqlglot.parse_one(collapse(sql), read=self.source)
        except Exception as exc:  # sqlglot raises several kinds; all mean "cannot read"
            raise FragmentError(f"cannot parse as {self.source}: {_first_line(exc)}") from None
        for table in list(tree.find_all(exp.Table)):
            db = table.args.get("db")
            schema = db.name if isinstance(db, exp.Identifier) else None
            new_schema, new_name = self.rename(schema, table.name)
            table.set("this", exp.to_identifier(new_name))
            table.set("db", exp.to_identifier(new_schema) if new_schema else None)
            table.set("catalog", None)
        return tree

    def _write(self, tree: exp.Expression) -> str:
        if self.cast_params:  # MariaDB echoes CAST(x AS DECIMAL) as DECIMAL(10, 0)
            for cast in tree.find_all(exp.Cast):
                to = cast.args.get("to")
                if isinstance(to, exp.DataType) and not to.expressions:
                    name = to.sql(dialect=self.target).lower()
                    params = self.cast_params.get(name)
                    if params:
                        built = exp.DataType.build(f"{name}({params})", dialect=self.target)
                        cast.set("to", built)
        try:
            return tree.sql(dialect=self.target, unsupported_level=ErrorLevel.RAISE)
        except Exception as exc:
            raise FragmentError(f"cannot write as {self.target}: {_first_line(exc)}") from None

    def rewrite(self, sql: str, edit: Callable[[exp.Expression], exp.Expression] | None = None):
        """The fragment in the target dialect, not yet normalised."""
        tree = self._tree(sql)
        if edit is not None:
            tree = edit(tree)
        return self._write(tree)

    def expr(self, sql: str | None, edit=None) -> str | None:
        if sql is None:
            return None
        return normalize_expr(self.target, self.rewrite(sql, edit))

    def default(self, sql: str | None, edit=None) -> str | None:
        if sql is None:
            return None
        return normalize_default(self.target, self.rewrite(sql, edit))

    def view(self, sql: str, edit=None) -> str:
        return normalize_view(self.target, self.rewrite(sql, edit))


def numbers_to_booleans(tree: exp.Expression) -> exp.Expression:
    """`0`/`1` literals -> FALSE/TRUE: a boolean column's default in a family that stores
    booleans as integers."""
    node = tree.unnest() if isinstance(tree, exp.Paren) else tree
    if isinstance(node, exp.Literal) and not node.is_string and node.this in ("0", "1"):
        return exp.Boolean(this=node.this == "1")
    return tree


_OPERATORS = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def type_class(portable: str) -> str | None:
    """ "integer" / "decimal" / "float" for numeric portable types, else None."""
    head = portable.split("(", 1)[0]
    if re.fullmatch(r"u?int\d+", head):
        return "integer"
    if head == "decimal":
        return "decimal"
    if head.startswith("float"):
        return "float"
    return None


def implicit_casts(rules, column_classes: dict[str, str | None]):
    """An edit that writes the casts a server adds when it echoes an expression mixing
    numeric types (`qty * price` -> `CAST(qty AS DECIMAL) * price`), from the target's
    `implicit_casts` rules: [{"cast": class, "when_with": class, "to": type}]."""
    table = {(r["cast"], r["when_with"]): r["to"] for r in rules}

    def klass(node: exp.Expression) -> str | None:
        node = node.unnest() if isinstance(node, exp.Paren) else node
        if isinstance(node, exp.Column):
            return column_classes.get(node.name.lower())
        if isinstance(node, exp.Literal) and not node.is_string:
            return "decimal" if "." in node.this else "integer"
        return None

    def edit(tree: exp.Expression) -> exp.Expression:
        if not table:
            return tree
        for node in list(tree.find_all(*_OPERATORS)):
            left, right = node.this, node.expression
            a, b = klass(left), klass(right)
            for side, mine, other in (("this", a, b), ("expression", b, a)):
                operand = node.args.get(side)
                target = table.get((mine, other))
                if target and isinstance(operand, exp.Column):
                    cast = exp.Cast(this=operand.copy(), to=exp.DataType.build(target))
                    node.set(side, cast)
        return tree

    return edit


def in_list(column: str, labels, dialect: str) -> str:
    """`column IN ('a', 'b')` in the target dialect, normalised (enum -> CHECK)."""
    node = exp.In(
        this=exp.column(column, quoted=True),
        expressions=[exp.Literal.string(label) for label in labels],
    )
    return normalize_expr(dialect, node.sql(dialect=dialect))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__

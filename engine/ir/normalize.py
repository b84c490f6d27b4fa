"""One canonical text per dialect for types and SQL fragments.

Servers echo what they were given in their own words: PostgreSQL answers `DEFAULT 'x'` with
`'x'::text`, `CHECK (price > 0)` with `(price > (0)::numeric)`, `status IN ('a','b')` with
`(status = ANY (ARRAY['a'::text, 'b'::text]))`; MariaDB answers `DEFAULT NOW()` with
`current_timestamp()` and quotes every name in backticks. For a learned snapshot and a
desired-state .sql file to hash equal, both go through the same functions here: parse with
sqlglot in the snapshot's dialect, undo the echo forms, render back in the same dialect.

The rewrites (each driven by the dialect's data in transports/flo/<family>/ir.json):
- casts of literals are dropped (`'x'::text` -> `'x'`; a numeric cast of a numeric string
  becomes the number: `'-1'::integer` -> `-1`); casts of bare columns to the types listed in
  `strip_casts_of_columns_to` are dropped (PostgreSQL's implicit `(email)::text`);
- `x = ANY (ARRAY[...])` -> `x IN (...)`, `x <> ALL (ARRAY[...])` -> `x NOT IN (...)`;
- parentheses are dropped wherever operator precedence makes them redundant;
- identifiers fold as the dialect folds them (`identifier_case`) and are quoted only when
  they must be (not a plain word, a keyword, or a case the dialect would fold);
- boolean literals become 1/0 where the family stores them so (`boolean_literals`);
- function synonyms (`function_synonyms`, e.g. NOW -> CURRENT_TIMESTAMP) take one name.
Some of these lose information on purpose (a cast of a literal in a CHECK is almost always
the column's own type); docs/snapshot.md lists them. Normalisation never raises: text
sqlglot cannot parse falls back to itself with whitespace runs collapsed.
"""

from __future__ import annotations

import functools
import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from engine.ir.dialects import DialectData, dialect_data

# the text-only half lives apart so that reading a catalog need not import sqlglot
from engine.ir.normalize_text import (  # noqa: F401  (re-exported: the one import path)
    _QUOTED,
    _WS,
    collapse,
    normalize_identifier,
    normalize_sequence,
    normalize_table_options,
    normalize_type,
    tidy_code,
)

logging.getLogger("sqlglot").setLevel(logging.ERROR)

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --- identifiers ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _reserved(dialect: str) -> frozenset[str]:
    return frozenset(dialect_data(dialect).get("reserved_words", ()))


@functools.lru_cache(maxsize=4096)
def _needs_quotes(dialect: str, text: str, case: str) -> bool:
    """True when the server would not read `text` back as this name unquoted: odd
    characters, case it would fold, or a word it reserves. The reserved words are the
    server's own list (`reserved_words` in ir.json): sqlglot's tokenizer misses some
    (MariaDB's LINES, for one)."""
    if not _PLAIN.match(text):
        return True
    if case == "lower" and text != text.lower():
        return True
    if text.lower() in _reserved(dialect):
        return True
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(text)
    except Exception:
        return True
    return len(tokens) != 1 or tokens[0].token_type != TokenType.VAR


def _fix_identifiers(tree: exp.Expression, data: DialectData) -> None:
    case = data.identifier_case
    for ident in list(tree.find_all(exp.Identifier)):
        text = ident.this
        if not isinstance(text, str):
            continue
        if case == "insensitive" or (case == "lower" and not ident.quoted):
            text = text.lower()
        ident.set("this", text)
        ident.set("quoted", _needs_quotes(data.dialect, text, case))


# --- expression rewrites -------------------------------------------------------------------

_RANK: list[tuple[tuple[type, ...], int]] = [
    ((exp.Or,), 1),
    ((exp.And,), 2),
    ((exp.Not,), 3),
    (
        (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between)
        + (exp.Like, exp.ILike, exp.SimilarTo, exp.NullSafeEQ, exp.NullSafeNEQ),
        4,
    ),
    ((exp.BitwiseOr, exp.BitwiseAnd, exp.BitwiseXor, exp.BitwiseLeftShift), 5),
    ((exp.BitwiseRightShift,), 5),
    ((exp.Add, exp.Sub, exp.DPipe), 6),
    ((exp.Mul, exp.Div, exp.Mod, exp.IntDiv), 7),
    ((exp.Neg, exp.BitwiseNot), 8),
]
_ASSOCIATIVE = (exp.And, exp.Or)


def _rank(node: exp.Expression | None) -> int | None:
    """Binding strength of an operator node; None for anything that is not an operator
    (function calls, columns, literals, clauses): those never need parentheses."""
    if node is None:
        return None
    for classes, rank in _RANK:
        if isinstance(node, classes):
            return rank
    return None


def _strip_parens(tree: exp.Expression) -> exp.Expression:
    # outermost first: removing an outer pair re-parents the inner one, which is then
    # judged against its new parent
    for paren in list(tree.find_all(exp.Paren)):
        inner = paren.this
        if not isinstance(inner, exp.Expression) or isinstance(inner, exp.Query):
            continue
        parent = paren.parent
        if isinstance(parent, exp.Tuple):
            continue
        child_rank = _rank(inner)
        parent_rank = _rank(parent)
        safe = (
            parent is None
            or child_rank is None
            or parent_rank is None
            or child_rank > parent_rank
            or (isinstance(inner, _ASSOCIATIVE) and type(inner) is type(parent))
        )
        if safe:
            if paren is tree:
                tree = inner
                inner.parent = None
            else:
                paren.replace(inner)
    return tree


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _is_literal(node: exp.Expression) -> bool:
    node = _unparen(node)
    if isinstance(node, exp.Neg):
        node = _unparen(node.this)
    if isinstance(node, exp.Array):
        return all(_is_literal(e) for e in node.expressions)
    return isinstance(node, exp.Literal | exp.Null | exp.Boolean)


def _strip_casts(tree: exp.Expression, data: DialectData) -> exp.Expression:
    column_types = {t.upper() for t in data.get("strip_casts_of_columns_to", [])}
    for cast in reversed(list(tree.find_all(exp.Cast))):
        inner = _unparen(cast.this)
        to = cast.args.get("to")
        replacement = None
        if _is_literal(inner):
            replacement = inner
            if (
                isinstance(inner, exp.Literal)
                and inner.is_string
                and to is not None
                and to.this in exp.DataType.NUMERIC_TYPES
                and re.fullmatch(r"-?\d+(\.\d+)?", inner.this)
            ):
                replacement = sqlglot.parse_one(inner.this, read=data.dialect)
        elif (
            isinstance(inner, exp.Column)
            and to is not None
            and to.sql(dialect=data.dialect).upper() in column_types
        ):
            replacement = inner
        if replacement is not None:
            replacement = replacement.copy()
            if cast is tree:
                tree = replacement
            else:
                cast.replace(replacement)
    return tree


def _any_to_in(tree: exp.Expression) -> exp.Expression:
    for node in reversed(list(tree.find_all(exp.EQ, exp.NEQ))):
        rhs = node.expression
        negate = isinstance(node, exp.NEQ)
        if isinstance(rhs, exp.Any) and not negate:
            arr = _unparen(rhs.this)
        elif negate and isinstance(rhs, exp.Anonymous) and str(rhs.this).upper() == "ALL":
            arr = _unparen(rhs.expressions[0]) if rhs.expressions else None
        else:
            continue
        if not isinstance(arr, exp.Array):
            continue
        new: exp.Expression = exp.In(this=node.this.copy(), expressions=arr.expressions)
        if negate:
            new = exp.Not(this=new)
        if node is tree:
            tree = new
        else:
            node.replace(new)
    return tree


def _synonyms(tree: exp.Expression, data: DialectData) -> exp.Expression:
    table = {k.lower(): v for k, v in data.get("function_synonyms", {}).items()}
    if not table:
        return tree
    for fn in reversed(list(tree.find_all(exp.Anonymous))):
        target = table.get(str(fn.this).lower())
        if target is None:
            continue
        args = ", ".join(a.sql(dialect=data.dialect) for a in fn.expressions)
        new = sqlglot.parse_one(f"{target}({args})", read=data.dialect)
        if fn is tree:
            tree = new
        else:
            fn.replace(new)
    return tree


def _booleans(tree: exp.Expression, data: DialectData) -> exp.Expression:
    if data.get("boolean_literals") != "integers":
        return tree
    for node in list(tree.find_all(exp.Boolean)):
        new = exp.Literal.number(1 if node.this else 0)
        if node is tree:
            tree = new
        else:
            node.replace(new)
    return tree


def canonical_tree(tree: exp.Expression, dialect: str, *, copy: bool = True) -> exp.Expression:
    """Apply every rewrite to a parsed fragment (a copy; the argument is untouched, unless
    `copy=False`: for a tree parsed just for this, the deep copy is wasted work)."""
    data = dialect_data(dialect)
    if copy:
        tree = tree.copy()
    tree = _strip_casts(tree, data)
    tree = _any_to_in(tree)
    tree = _synonyms(tree, data)
    tree = _booleans(tree, data)
    tree = _strip_parens(tree)
    _fix_identifiers(tree, data)
    return tree


def render(tree: exp.Expression, dialect: str) -> str:
    return tree.sql(dialect=dialect)


@functools.lru_cache(maxsize=16384)  # pure: learning 1,000 tables repeats fragments
def normalize_expr(dialect: str, sql: str | None) -> str | None:
    """Canonical text of an expression: CHECK bodies, index expressions, partial-index
    predicates, generation expressions. None stays None."""
    if sql is None:
        return None
    text = collapse(sql)
    if not text:
        return text
    try:
        tree = sqlglot.parse_one(text, read=dialect)
        return render(canonical_tree(tree, dialect, copy=False), dialect)
    except Exception:  # never let an odd echo break learning: fall back to the text
        return text


@functools.lru_cache(maxsize=16384)  # pure: learning 1,000 tables repeats fragments
def normalize_default(dialect: str, sql: str | None) -> str | None:
    """Canonical text of a column default; `NULL` (however cast) means no default."""
    out = normalize_expr(dialect, sql)
    if out is None or out.upper() in ("NULL", ""):
        return None
    return out


@functools.lru_cache(maxsize=16384)  # pure: learning 1,000 tables repeats fragments
def normalize_view(dialect: str, sql: str, *, database: str | None = None) -> str:
    """Canonical text of a view's SELECT: the echo rewrites above, plus what view echoes
    add -- a trailing `;`, the database name in front of every table (MariaDB; pass it as
    `database` to strip it), `t.col AS col` aliases, and `t.` qualifiers when the query
    reads one table only."""
    text = collapse(sql).rstrip(";").strip()
    try:
        tree = sqlglot.parse_one(text, read=dialect)
        if database:
            for node in tree.find_all(exp.Table, exp.Column):
                db = node.args.get("db")
                if isinstance(db, exp.Identifier) and db.this == database:
                    node.set("db", None)
        for alias in list(tree.find_all(exp.Alias)):
            inner = alias.this
            if isinstance(inner, exp.Column) and inner.name == alias.alias:
                alias.replace(inner.copy())
        for select in tree.find_all(exp.Select):
            _flatten_from(select)
            from_ = select.args.get("from_") or select.args.get("from")
            sources = [from_.this] if from_ is not None else []
            if select.args.get("joins") or len(sources) != 1:
                continue
            table = sources[0]
            if not isinstance(table, exp.Table):
                continue
            names = {table.name, table.alias_or_name}
            for col in select.find_all(exp.Column):
                if col.find_ancestor(exp.Select) is select and col.table in names:
                    col.set("table", None)
                    col.set("db", None)
            if not table.args.get("alias") or table.alias == table.name:
                table.set("alias", None)
        return render(canonical_tree(tree, dialect, copy=False), dialect)
    except Exception:
        return text


def _flatten_from(select: exp.Select) -> None:
    """PostgreSQL echoes `FROM a JOIN b ON ...` as `FROM (a JOIN b ON ...)`: move the
    joins of an unaliased parenthesised join tree back onto the SELECT."""
    key = "from_" if "from_" in select.args else "from"
    from_ = select.args.get(key)
    while from_ is not None:
        sub = from_.this
        if not isinstance(sub, exp.Subquery) or sub.args.get("alias"):
            return
        inner = sub.this
        if not isinstance(inner, exp.Table | exp.Subquery):
            return
        joins = list(inner.args.get("joins") or [])
        inner.set("joins", None)
        from_.set("this", inner)
        select.set("joins", joins + list(select.args.get("joins") or []))

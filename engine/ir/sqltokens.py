"""Tokens of a DDL script: statements split with their line numbers, and a cursor to read
one statement by keywords.

sqlglot's tokenizer does the lexing for the dialect (quotes, backticks, `$$` bodies,
comments, E'' strings); this module only groups tokens. Statements end at a `;` outside
parentheses and outside BEGIN ... END blocks (trigger and routine bodies in MySQL and
SQLite hold `;`). Each Statement keeps the slice of the original text it came from, so
fragments (a CHECK body, a view's SELECT, a whole routine) are cut from the source as
written, never re-printed from tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot.tokens import Token, TokenType

from engine.errors import ConfigError

_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_STRINGS = (TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.HEREDOC_STRING)
_BLOCK_CLOSERS = {"IF", "LOOP", "WHILE", "REPEAT", "CASE", "FOR"}


class DDLParseError(ConfigError):
    """A desired-state DDL statement the IR cannot read; names the statement and line."""

    def __init__(self, message: str, *, line: int = 0, statement: str = "") -> None:
        head = re.sub(r"\s+", " ", statement).strip()[:80]
        where = f"line {line}: " if line else ""
        text = f"{where}{message}" + (f" in: {head}" if head else "")
        super().__init__(text, line=line, statement=statement)
        self.line = line
        self.statement = statement


@dataclass
class Statement:
    text: str
    tokens: list[Token]
    line: int

    def error(self, message: str) -> DDLParseError:
        return DDLParseError(message, line=self.line, statement=self.text)


def tokenize(sql: str, dialect: str) -> list[Token]:
    try:
        return list(sqlglot.Dialect.get_or_raise(dialect).tokenize(sql))
    except Exception as exc:  # sqlglot's TokenError carries no line: find it ourselves
        text = str(exc)
        match = re.search(r"[Ll]ine (\d+)", text)
        line = int(match[1]) if match else 0
        raise DDLParseError(f"cannot tokenize ({text.splitlines()[0][:120]})", line=line) from None


def split_statements(sql: str, dialect: str) -> list[Statement]:
    tokens = tokenize(sql, dialect)
    out: list[Statement] = []
    current: list[Token] = []
    depth = blocks = cases = 0

    def flush() -> None:
        if current:
            text = sql[current[0].start : current[-1].end + 1]
            out.append(Statement(text=text, tokens=list(current), line=current[0].line))
            current.clear()

    for i, tok in enumerate(tokens):
        word = tok.text.upper() if tok.token_type not in _STRINGS else ""
        nxt = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth = max(0, depth - 1)
        elif word == "BEGIN" and current and nxt not in (";", "TRANSACTION", "WORK"):
            blocks += 1
        elif word == "CASE":
            cases += 1
        elif word == "END":
            if nxt in _BLOCK_CLOSERS:
                if nxt == "CASE" and cases:
                    cases -= 1
            elif cases:
                cases -= 1
            elif blocks:
                blocks -= 1
        if tok.token_type == TokenType.SEMICOLON and depth == 0 and blocks == 0:
            flush()
            cases = 0
            continue
        current.append(tok)
    flush()
    return out


class Cursor:
    """Reads one statement's tokens by keyword; `text(a, b)` cuts source text."""

    def __init__(self, stmt: Statement, start: int = 0, end: int | None = None) -> None:
        self.stmt = stmt
        self.toks = stmt.tokens
        self.i = start
        self.end = len(self.toks) if end is None else end
        self.base = stmt.tokens[0].start if stmt.tokens else 0

    # -- looking
    def at_end(self) -> bool:
        return self.i >= self.end

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < self.end else None

    def word(self, k: int = 0) -> str:
        tok = self.peek(k)
        if tok is None or tok.token_type in _STRINGS or tok.token_type == TokenType.IDENTIFIER:
            return ""
        return " ".join(tok.text.upper().split())

    def head(self, k: int = 0) -> str:
        """First word of the token at k ("PRIMARY" for the token "PRIMARY KEY")."""
        word = self.word(k)
        return word.split()[0] if word else ""

    def _match(self, words: tuple[str, ...]) -> int:
        """How many tokens spell `words` here (0: no match). sqlglot lexes some keyword
        runs as one token ("PRIMARY KEY", "ORDER BY"), so words are compared as a stream."""
        want = list(words)
        k = 0
        while want:
            word = self.word(k)
            if not word:
                return 0
            parts = word.split()
            if want[: len(parts)] != parts:
                return 0
            want = want[len(parts) :]
            k += 1
        return k

    def at(self, *words: str) -> bool:
        return self._match(words) > 0

    # -- consuming
    def accept(self, *words: str) -> bool:
        n = self._match(words)
        if n:
            self.i += n
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            got = self.peek()
            raise self.stmt.error(
                f"expected {' '.join(words)}, found {got.text if got else 'end of statement'!r}"
            )

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.stmt.error("unexpected end of statement")
        self.i += 1
        return tok

    def skip_until(self, *words: str) -> None:
        while not self.at_end() and self.head() not in words:
            self.skip_one()

    def skip_one(self) -> None:
        if self.peek() is not None and self.peek().token_type == TokenType.L_PAREN:
            self.group()
        else:
            self.i += 1

    def name_token(self) -> tuple[str, bool]:
        """One identifier: (text, quoted). Keywords are accepted as names (`status`)."""
        tok = self.next()
        if tok.token_type == TokenType.IDENTIFIER:
            return tok.text, True
        if tok.token_type in _STRINGS:  # MySQL allows 'name' in a few places
            return tok.text, True
        if _WORD.match(tok.text):
            return tok.text, False
        raise self.stmt.error(f"expected a name, found {tok.text!r}")

    def qualified(self) -> list[tuple[str, bool]]:
        parts = [self.name_token()]
        while self.peek() is not None and self.peek().token_type == TokenType.DOT:
            self.i += 1
            parts.append(self.name_token())
        return parts

    def group(self) -> tuple[int, int]:
        """Consume a parenthesised group; returns token indexes (inside_start, inside_end)."""
        tok = self.next()
        if tok.token_type != TokenType.L_PAREN:
            raise self.stmt.error(f"expected '(', found {tok.text!r}")
        start = self.i
        depth = 1
        while depth:
            tok = self.next()
            if tok.token_type == TokenType.L_PAREN:
                depth += 1
            elif tok.token_type == TokenType.R_PAREN:
                depth -= 1
        return start, self.i - 1

    def at_paren(self) -> bool:
        tok = self.peek()
        return tok is not None and tok.token_type == TokenType.L_PAREN

    def string(self) -> str:
        tok = self.next()
        if tok.token_type not in _STRINGS:
            raise self.stmt.error(f"expected a string, found {tok.text!r}")
        return tok.text

    def text(self, a: int, b: int) -> str:
        """Source text of tokens [a, b)."""
        if a >= b:
            return ""
        return self.stmt.text[self.toks[a].start - self.base : self.toks[b - 1].end + 1 - self.base]

    def rest(self) -> str:
        return self.text(self.i, self.end)

    def split_commas(self, a: int, b: int) -> list[tuple[int, int]]:
        """Top-level comma-separated ranges of tokens [a, b)."""
        out, depth, start = [], 0, a
        for j in range(a, b):
            kind = self.toks[j].token_type
            if kind == TokenType.L_PAREN:
                depth += 1
            elif kind == TokenType.R_PAREN:
                depth -= 1
            elif kind == TokenType.COMMA and depth == 0:
                out.append((start, j))
                start = j + 1
        if start < b:
            out.append((start, b))
        return out

    def sub(self, a: int, b: int) -> Cursor:
        return Cursor(self.stmt, a, b)

"""Lexer and parser of the model DSL: text -> a tree of statements (no meaning attached yet).

The grammar (full reference in docs/dsl.md)::

    program   := chain*                                   (chains separated by newlines)
    chain     := statement ("->" statement)*  [":" body]  (":" binds to the last statement)
    body      := NEWLINE INDENT program DEDENT | chain     (an indented block, or the rest of the line)
    statement := NAME item*
    item      := NAME "=" value | NAME "(" args ")" | NAME | NUMBER | SIZE
    value     := NUMBER | SIZE | NAME | NAME "(" args ")"
    args      := [ [NAME "="] value ("," [NAME "="] value)* ]

NUMBER is an int or a float (``2``, ``0.5``, ``1e-3``, ``-0.1``), SIZE is ``5x5`` or ``1x28x28``.
``#`` starts a comment. Blocks are indented with spaces (a tab counts as 4). Nothing is ever
evaluated: every token is matched by a regular expression and stays a plain string or number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import DSLError

MAX_SOURCE_CHARS = 200_000
MAX_NESTING = 40

_SIZE = re.compile(r"\d+(?:[xX×]\d+)+")
_FLOAT = re.compile(r"-?(?:\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)")
_INT = re.compile(r"-?\d+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORDCHAR = re.compile(r"[A-Za-z0-9_.×]")
_MAX_DIGITS = 18


@dataclass
class Token:
    kind: str  # NAME INT FLOAT SIZE EQ LP RP COMMA COLON ARROW NL INDENT DEDENT EOF
    text: str
    line: int
    col: int  # 1-based
    value: Any = None

    @property
    def end(self) -> int:
        return self.col + max(1, len(self.text))


@dataclass
class Arg:
    """One argument inside parentheses: ``0.2`` or ``slope=0.2``."""

    key: str | None
    value: Value
    line: int
    col: int


@dataclass
class Value:
    """A literal: kind is 'int', 'float', 'size', 'name' or 'call'."""

    kind: str
    value: Any
    text: str
    line: int
    col: int
    args: list[Arg] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max(1, len(self.text))


@dataclass
class Item:
    """One item after a statement's name: a positional value or ``key=value``."""

    key: str | None
    value: Value
    line: int
    col: int  # column of the key (or of the value when positional)

    @property
    def width(self) -> int:
        if self.key is None:
            return self.value.width
        return self.value.col + self.value.width - self.col


@dataclass
class Statement:
    name: str
    line: int
    col: int
    items: list[Item] = field(default_factory=list)
    body: list[Statement] | None = None  # set when the statement ends with ':'
    colon_col: int | None = None
    text: str = ""  # the source line it came from

    @property
    def width(self) -> int:
        return max(1, len(self.name))


def _error(message: str, line: int, col: int, width: int = 1, **kw: Any) -> DSLError:
    return DSLError(message, line, col, width=width, **kw)


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, with INDENT/DEDENT for indented blocks."""
    if not isinstance(source, str):
        raise DSLError(f"the model source must be a string, got {type(source).__name__}")
    if len(source) > MAX_SOURCE_CHARS:
        raise DSLError(f"the model source is {len(source):,} characters long; the limit is "
                       f"{MAX_SOURCE_CHARS:,}")
    tokens: list[Token] = []
    indents = [0]
    lines = source.splitlines()
    last_line = 1
    for lineno, raw in enumerate(lines, start=1):
        width = 0
        i = 0
        while i < len(raw) and raw[i] in " \t":
            width = (width // 4 + 1) * 4 if raw[i] == "\t" else width + 1
            i += 1
        rest = raw[i:]
        if not rest.strip() or rest.lstrip().startswith("#"):
            continue
        last_line = lineno
        if width > indents[-1]:
            if len(indents) > MAX_NESTING:
                raise _error(f"blocks are nested more than {MAX_NESTING} deep", lineno, i + 1)
            indents.append(width)
            tokens.append(Token("INDENT", "", lineno, i + 1))
        else:
            while width < indents[-1]:
                indents.pop()
                tokens.append(Token("DEDENT", "", lineno, i + 1))
            if width != indents[-1]:
                raise _error("this line's indentation does not match any outer block", lineno,
                             i + 1, hint="indent the lines of one block by the same amount")
        _scan_line(raw, i, lineno, tokens)
        tokens.append(Token("NL", "", lineno, len(raw) + 1))
    while len(indents) > 1:
        indents.pop()
        tokens.append(Token("DEDENT", "", last_line + 1, 1))
    tokens.append(Token("EOF", "", last_line + 1, 1))
    return tokens


def _scan_line(raw: str, i: int, lineno: int, tokens: list[Token]) -> None:
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch in " \t\r\f\v":
            i += 1
            continue
        if ch == "#":
            return
        col = i + 1
        if raw.startswith("->", i):
            tokens.append(Token("ARROW", "->", lineno, col))
            i += 2
            continue
        if ch.isascii() and (ch.isdigit() or ch in ".-"):
            kind = "INT"
            for kind, pattern in (("SIZE", _SIZE), ("FLOAT", _FLOAT), ("INT", _INT)):  # noqa: B007
                m = pattern.match(raw, i)
                if m:
                    break
            if m is None:
                raise _error(f"unexpected character {ch!r}", lineno, col)
            end = m.end()
            if end < n and _WORDCHAR.match(raw[end]):
                j = end
                while j < n and (_WORDCHAR.match(raw[j]) or raw[j] == "-"):
                    j += 1
                bad = raw[i:j]
                raise _error(f"malformed number or size {bad!r}", lineno, col, len(bad),
                             hint="numbers look like 3, 0.5 or 1e-3; sizes like 5x5 or 1x28x28")
            text = m.group()
            digits = max(len(part) for part in re.split(r"[^0-9]", text))
            if digits > _MAX_DIGITS:
                raise _error(f"number {text!r} is too large", lineno, col, len(text))
            value: Any
            if kind == "SIZE":
                value = tuple(int(p) for p in re.split(r"[xX×]", text))
            elif kind == "FLOAT":
                value = float(text)
            else:
                value = int(text)
            tokens.append(Token(kind, text, lineno, col, value))
            i = end
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _NAME.match(raw, i)
            assert m is not None
            tokens.append(Token("NAME", m.group(), lineno, col, m.group()))
            i = m.end()
            continue
        single = {"=": "EQ", "(": "LP", ")": "RP", ",": "COMMA", ":": "COLON"}
        if ch in single:
            tokens.append(Token(single[ch], ch, lineno, col))
            i += 1
            continue
        if ch in "\"'":
            raise _error("quotes are not part of the DSL: write names and numbers bare",
                         lineno, col)
        shown = ch if ch.isprintable() else f"U+{ord(ch):04X}"
        raise _error(f"unexpected character {shown!r}", lineno, col)


class Parser:
    """Recursive-descent parser over the token list."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines()
        self.tokens = tokenize(source)
        self.pos = 0

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        if self.pos < len(self.tokens) - 1:
            self.pos += 1
        return tok

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 1 <= line <= len(self.lines) else ""

    def fail(self, message: str, tok: Token, **kw: Any) -> DSLError:
        return _error(message, tok.line, tok.col, len(tok.text) or 1, **kw)

    def describe(self, tok: Token) -> str:
        return {"NL": "the end of the line", "EOF": "the end of the input",
                "INDENT": "an indented block", "DEDENT": "the end of the block"}.get(
                    tok.kind, repr(tok.text))

    def parse_program(self, depth: int = 0) -> list[Statement]:
        statements: list[Statement] = []
        while True:
            tok = self.peek()
            if tok.kind == "NL":
                self.next()
                continue
            if tok.kind in ("EOF", "DEDENT"):
                return statements
            if tok.kind == "INDENT":
                prev = statements[-1] if statements else None
                hint = None
                if prev is not None and prev.body is None:
                    hint = f"to open a block, end the line above with ':' (e.g. '{prev.name} ...:')"
                raise self.fail("unexpected indentation", tok, hint=hint)
            statements.extend(self.parse_chain(depth))

    def parse_chain(self, depth: int) -> list[Statement]:
        chain = [self.parse_statement()]
        while True:
            tok = self.peek()
            if tok.kind == "ARROW":
                self.next()
                nxt = self.peek()
                if nxt.kind != "NAME":
                    raise self.fail(f"expected a layer after '->', found {self.describe(nxt)}", nxt)
                chain.append(self.parse_statement())
                continue
            if tok.kind == "COLON":
                self.next()
                owner = chain[-1]
                owner.colon_col = tok.col
                if depth >= MAX_NESTING:
                    raise self.fail(f"blocks are nested more than {MAX_NESTING} deep", tok)
                after = self.peek()
                if after.kind == "NL":
                    self.next()
                    if self.peek().kind != "INDENT":
                        raise self.fail(f"'{owner.name}:' needs an indented block below it",
                                        self.peek() if self.peek().kind != "EOF" else tok)
                    self.next()
                    owner.body = self.parse_program(depth + 1)
                    end = self.next()
                    if end.kind != "DEDENT":  # pragma: no cover - tokenizer guarantees it
                        raise self.fail("expected the end of the block", end)
                    return chain
                if after.kind in ("EOF", "DEDENT"):
                    raise self.fail(f"'{owner.name}:' needs a body", tok)
                if after.kind != "NAME":
                    raise self.fail(f"expected a layer after ':', found {self.describe(after)}",
                                    after)
                owner.body = self.parse_chain(depth + 1)
                return chain
            if tok.kind in ("NL", "EOF", "DEDENT"):
                return chain
            raise self.fail(f"unexpected {self.describe(tok)}", tok)

    def parse_statement(self) -> Statement:
        tok = self.next()
        if tok.kind != "NAME":
            hint = None
            if tok.kind in ("INT", "FLOAT", "SIZE"):
                hint = "each line starts with a layer name, e.g. 'dense 10'"
            raise self.fail(f"expected a layer name, found {self.describe(tok)}", tok, hint=hint)
        stmt = Statement(tok.text, tok.line, tok.col, text=self.line_text(tok.line))
        if self.peek().kind == "LP":  # 'leaky_relu(0.2)' on its own: the call's arguments
            self.pos -= 1
            call = self.parse_value(0)
            stmt.items.extend(Item(a.key, a.value, a.line, a.col) for a in call.args)
        while True:
            nxt = self.peek()
            if nxt.kind in ("NL", "EOF", "DEDENT", "ARROW", "COLON"):
                return stmt
            if nxt.kind == "NAME" and self.peek(1).kind == "EQ":
                key = self.next()
                self.next()
                if self.peek().kind not in ("NAME", "INT", "FLOAT", "SIZE"):
                    raise self.fail(f"'{key.text}=' needs a value", self.peek()
                                    if self.peek().kind not in ("NL", "EOF") else key)
                value = self.parse_value(0)
                stmt.items.append(Item(key.text, value, key.line, key.col))
                continue
            if nxt.kind in ("NAME", "INT", "FLOAT", "SIZE"):
                value = self.parse_value(0)
                stmt.items.append(Item(None, value, value.line, value.col))
                continue
            if nxt.kind == "EQ":
                raise self.fail("'=' must follow an option name, as in 'stride=2'", nxt)
            if nxt.kind == "LP":
                raise self.fail("'(' must follow a name, as in 'leaky_relu(0.2)'", nxt)
            raise self.fail(f"unexpected {self.describe(nxt)}", nxt)

    def parse_value(self, depth: int) -> Value:
        tok = self.next()
        if tok.kind == "INT":
            return Value("int", tok.value, tok.text, tok.line, tok.col)
        if tok.kind == "FLOAT":
            return Value("float", tok.value, tok.text, tok.line, tok.col)
        if tok.kind == "SIZE":
            return Value("size", tok.value, tok.text, tok.line, tok.col)
        if tok.kind != "NAME":
            raise self.fail(f"expected a value, found {self.describe(tok)}", tok)
        if self.peek().kind != "LP":
            return Value("name", tok.text, tok.text, tok.line, tok.col)
        if depth >= 4:
            raise self.fail("calls nested too deep", tok)
        self.next()
        args: list[Arg] = []
        while True:
            nxt = self.peek()
            if nxt.kind in ("NL", "EOF", "DEDENT", "ARROW", "COLON", "INDENT"):
                raise self.fail(f"'{tok.text}(' is not closed", tok,
                                hint="close it with ')' on the same line")
            if nxt.kind == "RP":
                close = self.next()
                break
            if args:
                if nxt.kind != "COMMA":
                    raise self.fail(f"expected ',' or ')' in '{tok.text}(...)', found "
                                    f"{self.describe(nxt)}", nxt)
                self.next()
                nxt = self.peek()
            if nxt.kind == "NAME" and self.peek(1).kind == "EQ":
                key = self.next()
                self.next()
                args.append(Arg(key.text, self.parse_value(depth + 1), key.line, key.col))
            elif nxt.kind in ("NAME", "INT", "FLOAT", "SIZE"):
                val = self.parse_value(depth + 1)
                args.append(Arg(None, val, val.line, val.col))
            else:
                raise self.fail(f"'{tok.text}(' is not closed: found {self.describe(nxt)}", nxt
                                if nxt.kind not in ("NL", "EOF") else tok)
        text = self.line_text(tok.line)[tok.col - 1: close.col]
        return Value("call", tok.text, text, tok.line, tok.col, args)


def parse(source: str) -> list[Statement]:
    """Parse DSL ``source`` into statements; raises ``DSLError`` with line and column."""
    try:
        parser = Parser(source)
        program = parser.parse_program()
        tok = parser.peek()
        if tok.kind != "EOF":  # pragma: no cover - a DEDENT at top level cannot happen
            raise parser.fail(f"unexpected {parser.describe(tok)}", tok)
        return program
    except DSLError as err:
        raise err.with_source(source) from None

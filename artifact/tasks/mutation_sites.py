"""Where the mutation engine may edit, and how to edit there without reformatting anything:
the functions of a file, the mutable nodes of each body, and a text view of the file that maps
AST positions to character offsets, finds operator tokens and splices edits."""

from __future__ import annotations

import ast
import bisect
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeGuard

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Operators and keyword operators (`and`, `not in`, ...) are the only tokens we look up.
_WANTED_TOKENS = (tokenize.OP, tokenize.NAME)


@dataclass(frozen=True)
class Edit:
    """Replace `source[start:end]` (character offsets) with `text`."""

    start: int
    end: int
    text: str

    def apply(self, source: str) -> str:
        return source[: self.start] + self.text + source[self.end :]


class SourceText:
    def __init__(self, source: str) -> None:
        self.source = source
        # Split on "\n" only, like tokenize's readline; a "\r\n" file keeps "\r" at line ends.
        self.lines = source.split("\n")
        self.line_starts = [0]
        for line in self.lines[:-1]:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self._tokens = self._operator_tokens()
        self._token_starts = [start for start, _, _ in self._tokens]

    def offset(self, lineno: int, col: int) -> int:
        """Character offset of an AST position (1-based line, column in UTF-8 bytes)."""
        line = self.lines[lineno - 1]
        if not line.isascii():
            col = len(line.encode()[:col].decode(errors="ignore"))
        return self.line_starts[lineno - 1] + col

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def text(self, node: ast.AST) -> str:
        return self.source[self.start(node) : self.end(node)]

    def lineno_at(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def line_span(self, first: int, last: int) -> tuple[int, int]:
        """Character offsets of the text of lines first..last (1-based, without the last newline)."""
        return self.line_starts[first - 1], self.line_starts[last - 1] + len(self.lines[last - 1])

    def line(self, lineno: int) -> str:
        return self.lines[lineno - 1].rstrip("\r")

    def operator_between(self, left: ast.AST, right: ast.AST) -> tuple[int, int, str] | None:
        """Span and text of the operator between two operand nodes, e.g. `not in` in
        `(x) not in y`. Only parentheses and comments can sit there besides the operator, and
        strings cannot, because they would be operands themselves."""
        lo, hi = self.end(left), self.start(right)
        found = []
        i = bisect.bisect_left(self._token_starts, lo)
        while i < len(self._tokens) and self._tokens[i][0] < hi:
            if self._tokens[i][2] not in ("(", ")"):
                found.append(self._tokens[i])
            i += 1
        if not found:
            return None
        return found[0][0], found[-1][1], " ".join(text for _, _, text in found)

    def delete_lines(self, stmt: ast.stmt) -> Edit | None:
        """An edit removing the lines of `stmt`, or None unless it sits alone on them
        (not `a = 1; b = 2`, not `if x: a = 1`); a trailing comment goes with it."""
        first = self.line_starts[stmt.lineno - 1]
        last_end = self.line_starts[stmt.end_lineno - 1] + len(self.lines[stmt.end_lineno - 1])
        before = self.source[first : self.start(stmt)]
        after = self.source[self.end(stmt) : last_end].strip()
        if before.strip() or (after and not after.startswith("#")):
            return None
        if stmt.end_lineno < len(self.lines):
            return Edit(first, last_end + 1, "")
        # Last line of a file without a final newline: drop the newline before it instead,
        # so the mutated file still has no final newline.
        return Edit(max(first - 1, 0), last_end, "")

    def _operator_tokens(self) -> list[tuple[int, int, str]]:
        tokens = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(self.source).readline):
                if tok.type in _WANTED_TOKENS:
                    start = self.line_starts[tok.start[0] - 1] + tok.start[1]
                    end = self.line_starts[tok.end[0] - 1] + tok.end[1]
                    tokens.append((start, end, tok.string))
        except (tokenize.TokenError, SyntaxError):
            return []  # no operator mutations then, everything else still works
        return tokens


@dataclass
class Scope:
    """One function body and the facts about it that several mutation rules need."""

    name: str  # qualified: "func", "Class.method", "outer.inner"
    func: FunctionNode
    top: ast.stmt  # the module-level statement the function is part of
    nodes: list[ast.AST]  # the function node, then every mutable node of its body, pre-order
    local_names: dict[str, int] = field(default_factory=dict)  # name -> line first bound
    bound_literals: set[int] = field(default_factory=set)  # ids of ints in range/slice bounds


def function_scopes(tree: ast.Module) -> list[Scope]:
    """Every function and method of the module, in source order."""
    found: list[Scope] = []

    def visit(node: ast.AST, prefix: str, top: ast.stmt) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(_scope(prefix + node.name, node, top))
            prefix = f"{prefix}{node.name}."
        elif isinstance(node, ast.ClassDef):
            prefix = f"{prefix}{node.name}."
        for child in ast.iter_child_nodes(node):
            visit(child, prefix, top)

    for stmt in tree.body:
        visit(stmt, "", stmt)
    return found


def int_literal(node: ast.AST) -> int | None:
    """The value of `3` or `-3` (bools excluded), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = int_literal(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def bounds(node: ast.AST) -> list[ast.expr]:
    """Loop and slice bounds: b in range(b) and range(a, b[, step]); both bounds of a slice."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and 1 <= len(node.args) <= 3
        and not node.keywords
        and not any(isinstance(arg, ast.Starred) for arg in node.args)
    ):
        return [node.args[0] if len(node.args) == 1 else node.args[1]]
    if isinstance(node, ast.Slice):
        return [bound for bound in (node.lower, node.upper) if bound is not None]
    return []


def is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _binds(node: ast.AST) -> TypeGuard[ast.Name]:
    return isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Pre-order walk of the code a function body runs, minus what must never be mutated."""
    yield node
    # Nested defs/classes are mutated as functions of their own (their decorators and defaults
    # never); f-string parts have unreliable positions before Python 3.12.
    if isinstance(node, (*_SCOPES, ast.JoinedStr)):
        return
    for name, value in ast.iter_fields(node):
        if (
            name == "annotation"
            or (name == "args" and isinstance(node, ast.Lambda))  # lambda defaults
            or (name == "pattern" and isinstance(node, ast.match_case))
        ):
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                yield from _walk(child)


def _scope(name: str, func: FunctionNode, top: ast.stmt) -> Scope:
    body = func.body[1:] if is_docstring(func.body[0]) else func.body
    scope = Scope(name, func, top, [func, *(node for stmt in body for node in _walk(stmt))])
    args = func.args
    for param in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        # Returning `self` instead of a result is not a bug anyone writes.
        if param is not None and param.arg not in ("self", "cls"):
            scope.local_names.setdefault(param.arg, 0)
    not_local: set[str] = set()
    comprehension_targets: set[int] = set()  # these names live in the comprehension's scope
    for node in scope.nodes:
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            not_local.update(node.names)
        elif isinstance(node, ast.comprehension):
            comprehension_targets.update(id(n) for n in ast.walk(node.target))
        elif _binds(node) and id(node) not in comprehension_targets:
            scope.local_names.setdefault(node.id, node.lineno)
        for bound in bounds(node):
            if int_literal(bound) is not None:  # `n` or `-n`: the range rule edits these
                literal = bound.operand if isinstance(bound, ast.UnaryOp) else bound
                scope.bound_literals.add(id(literal))
    for local in not_local:
        scope.local_names.pop(local, None)
    return scope

"""Procedural bug injection for the miniature SWE-smith.

Each mutation is one small edit inside a function body, located with the AST and spliced into
the original text (never re-generated with ast.unparse), so the mutated file differs from the
original only inside the mutated statement. Whether a mutation makes a usable task (1-5 tests
going from pass to fail) is decided elsewhere by running the tests.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from artifact.tasks.mutation_sites import (
    Edit,
    Scope,
    SourceText,
    bounds,
    function_scopes,
    int_literal,
)

MUTATION_KINDS: tuple[str, ...] = (
    "flip_comparison",
    "swap_arith_operator",
    "off_by_one_constant",
    "off_by_one_range",
    "drop_statement",
    "swap_arguments",
    "wrong_return_name",
    "swap_bool_operator",
    "negate_condition",
)


@dataclass(frozen=True)
class Mutation:
    kind: str  # one of MUTATION_KINDS
    path: str  # file path as given by the caller, e.g. "ledger/accounts.py"
    function: str  # enclosing function, "func" or "Class.method" ("outer.inner" if nested)
    lineno: int  # 1-based line of the mutated code in the original source
    description: str  # internal, human readable; never shown to agents
    original: str  # complete original source
    mutated: str  # complete mutated source


# (site offset used for ordering and `lineno`, the edit, a short description of the change)
Candidate = tuple[int, Edit, str]


def functions_in(source: str) -> list[str]:
    """Qualified names of all functions/methods defined in the file, in source order."""
    return [scope.name for scope in function_scopes(ast.parse(source))]


def enumerate_mutations(source: str, path: str) -> list[Mutation]:
    """Every candidate mutation of the file, in a deterministic order: by line, column, kind,
    then variant. Each one parses, changes the AST, and has a distinct mutated text."""
    src = SourceText(source)
    found: list[tuple[int, str, int, Scope, Edit, str]] = []
    for scope in function_scopes(ast.parse(source)):
        for node in scope.nodes:
            for kind, rule in _RULES.items():
                for site, edit, what in rule(node, scope, src):
                    found.append((site, kind, len(found), scope, edit, what))
    found.sort(key=lambda item: item[:3])  # generation order is the variant tie-break

    mutations: list[Mutation] = []
    seen: set[str] = set()
    for site, kind, _, scope, edit, what in found:
        mutated = edit.apply(source)
        if mutated in seen or not _is_valid(kind, edit, mutated, scope, src):
            continue
        seen.add(mutated)
        lineno = src.lineno_at(site)
        description = f"{what} in '{src.line(lineno).strip()}'"
        mutations.append(Mutation(kind, path, scope.name, lineno, description, source, mutated))
    return mutations


def _is_valid(kind: str, edit: Edit, mutated: str, scope: Scope, src: SourceText) -> bool:
    """Does the mutated file parse, and is its AST different? Only the text around the edit is
    re-parsed: the rest of the file is untouched, and re-parsing and dumping whole files for
    every candidate dominated the run time."""
    growth = len(edit.text) - (edit.end - edit.start)
    if kind == "drop_statement":
        # Dropping a statement from a block always changes the AST. What can break is a
        # `nonlocal` whose binding was dropped, which only compile() notices; the module-level
        # statement around the function holds every scope that could be involved.
        top = scope.top
        decorators = getattr(top, "decorator_list", [])
        first, last = src.line_span(
            min([top.lineno, *(d.lineno for d in decorators)]), top.end_lineno
        )
        try:
            compile(mutated[first : last + growth], "<mutation>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
        return True
    if "\n" in src.source[edit.start : edit.end] + edit.text:
        return False  # every other kind must stay a one-line diff
    # Inside one line of the function: parsing the function's own lines decides both questions.
    func = scope.func
    first_line = min([func.lineno, *(d.lineno for d in func.decorator_list)])
    first, last = src.line_span(first_line, func.end_lineno)
    text = mutated[first : last + growth]
    try:
        # A method cannot be parsed on its own at its indentation; an `if` block can hold it.
        tree = ast.parse("if 1:\n" + text if func.col_offset > 0 else text)
    except (SyntaxError, ValueError):
        return False
    # Breadth-first, so the first function found is the mutated one, not one nested in it.
    new_func = next(
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    )
    return not _same_tree(func, new_func)


def _same_tree(a: object, b: object) -> bool:
    """`ast.dump(a) == ast.dump(b)` (positions ignored), but stops at the first difference."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ast.AST):
        return all(_same_tree(getattr(a, name), getattr(b, name)) for name in a._fields)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same_tree, a, b))
    return a == b


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


# Expressions that need parentheses before `+ 1` is appended or `not` is prefixed.
_LOOSE = (ast.BoolOp, ast.IfExp, ast.NamedExpr, ast.Lambda, ast.Compare)
_ARITH_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)


def _needs_parens_for_sum(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp):
        return not isinstance(node.op, _ARITH_OPS)  # `a << b + 1` would shift by b + 1
    return isinstance(node, _LOOSE) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    )


def _replace_operator(
    src: SourceText, left: ast.AST, right: ast.AST, old: str, new: str
) -> Iterator[Candidate]:
    found = src.operator_between(left, right)
    if found is not None and found[2] == old:  # anything else means we misread the tokens
        yield found[0], Edit(found[0], found[1], new), f"'{old}' -> '{new}'"


# --- one rule per kind: each yields the candidates for a single node ---------------------------

_COMPARISON_FLIPS = {
    ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"), ast.Gt: (">", ">="), ast.GtE: (">=", ">"),
    ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.In: ("in", "not in"),
    ast.NotIn: ("not in", "in"), ast.Is: ("is", "is not"), ast.IsNot: ("is not", "is"),
}  # fmt: skip
_ARITH_SWAPS = {
    ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "+"),
    ast.FloorDiv: ("//", "/"), ast.Div: ("/", "//"), ast.Mod: ("%", "//"),
}  # fmt: skip
# Swapping the arguments of max(a, b) or isinstance(x, T) is either a no-op or absurd.
_BUILTIN_NAMES = frozenset(dir(builtins))
_DROPPABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign)


def _flip_comparison(node: ast.AST, scope: Scope, src: SourceText) -> Iterator[Candidate]:
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):  # chained: each operator sits between its operands
            old, new = _COMPARISON_FLIPS[type(op)]
            yield from _replace_operator(src, operands[i], operands[i + 1], old, new)


def _swap_arith_operator(node: ast.AST, scope: Scope, src: SourceText) -> Iterator[Candidate]:
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH_SWAPS:
        if not (_is_text(node.left) or _is_text(node.right)):  # "%d" % n builds text
            yield from _replace_operator(src, node.left, node.right, *_ARITH_SWAPS[type(node.op)])
    elif isinstance(node, ast.AugAssign) and type(node.op) in _ARITH_SWAPS:
        old, new = _ARITH_SWAPS[type(node.op)]
        if not _is_text(node.value):
            yield from _replace_operator(src, node.target, node.value, old + "=", new + "=")


def _off_by_one_constant(node: ast.AST, scope: Scope, src: SourceText) -> Iterator[Candidate]:
    # type() rather than isinstance(): True and False are ints too.
    if isinstance(node, ast.Constant) and type(node.value) is int:
        if id(node) in scope.bound_literals:
            return  # range/slice bounds belong to off_by_one_range
        start, end = src.start(node), src.end(node)
        for new in (node.value + 1, node.value - 1):
            yield start, Edit(start, end, str(new)), f"{src.text(node)} -> {new}"


def _off_by_one_range(node: ast.AST, scope: Scope, src: SourceText) -> Iterator[Candidate]:
    for bound in bounds(node):
        start, end, text = src.start(bound), src.end(bound), src.text(bound)
        literal = int_literal(bound)
        for sign, delta in (("+", 1), ("-", -1)):
            if literal is not None:
                new = str(literal + delta)
            else:
                new = f"({text}) {sign} 1" if _needs_parens_for_sum(bound) else f"{text} {sign} 1"
            # Appending rather than replacing keeps a multi-line bound a one-line diff.
            appended = new.startswith(text)
            edit = Edit(end, end, new[len(text) :]) if appended else Edit(start, end, new)
            yield start, edit, f"bound '{text}' -> '{new}'"


def _drop_statement(node: ast.AST, scope: Scope, src: SourceText) -> Iterator[Candidate]:
    nested = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    if nested and node is not scope.func:
        return  # a nested def's blocks belong to that def's own scope
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if not isinstance(block, list) or len(block) < 2:
            continue  # an emptied block would not parse
        for stmt in block:
            call = isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await))
            if not (call or isinstance(stmt, _DROPPABLE)):
                continue
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                continue  # a bare annotation does nothing at runtime
            edit = src.delete_lines(stmt)
            if edit is not None:
                yield src.start(stmt), edit, "drop statement"


def _swap_arguments(node: ast.AST, scope: Scope, src: SourceText) -> Iterator[Candidate]:
    if not isinstance(node, ast.Call):
        return
    if isinstance(node.func, ast.Name) and node.func.id in _BUILTIN_NAMES:
        return
    for a, b in zip(node.args, node.args[1:]):
        if isinstance(a, ast.Starred) or isinstance(b, ast.Starred) or ast.dump(a) == ast.dump(b):
            continue
        if not a.lineno == a.end_lineno == b.lineno == b.end_lineno:
            continue  # keep the diff to one line
        between = src.source[src.end(a) : src.start(b)]  # ", " plus any parentheses
        edit = Edit(src.start(a), src.end(b), src.text(b) + between + src.text(a))
        yield edit.start, edit, f"swap '{src.text(a)}' and '{src.text(b)}'"


def _wrong_return_name(node: ast.AST, scope: Scope, src: SourceText) -> Iterator[Candidate]:
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
        old = node.value.id
        start, end = src.start(node.value), src.end(node.value)
        for name, line in scope.local_names.items():
            if name != old and line < node.lineno:  # only names bound before this return
                yield start, Edit(start, end, name), f"return '{old}' -> '{name}'"


def _swap_bool_operator(node: ast.AST, scope: Scope, src: SourceText) -> Iterator[Candidate]:
    if isinstance(node, ast.BoolOp):
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        for left, right in zip(node.values, node.values[1:]):
            yield from _replace_operator(src, left, right, old, new)


def _negate_condition(node: ast.AST, scope: Scope, src: SourceText) -> Iterator[Candidate]:
    if not isinstance(node, (ast.If, ast.While, ast.IfExp)):
        return
    test = node.test
    start, end, text = src.start(test), src.end(test), src.text(test)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        edit = Edit(start, end, src.text(test.operand))
    elif isinstance(test, _LOOSE):
        edit = Edit(start, end, f"not ({text})")
    else:  # insert only, so a test spanning lines still changes one line
        edit = Edit(start, start, "not ")
    yield start, edit, f"negate '{text}'"


_RULES: dict[str, Callable[[ast.AST, Scope, SourceText], Iterator[Candidate]]] = {
    "flip_comparison": _flip_comparison,
    "swap_arith_operator": _swap_arith_operator,
    "off_by_one_constant": _off_by_one_constant,
    "off_by_one_range": _off_by_one_range,
    "drop_statement": _drop_statement,
    "swap_arguments": _swap_arguments,
    "wrong_return_name": _wrong_return_name,
    "swap_bool_operator": _swap_bool_operator,
    "negate_condition": _negate_condition,
}
assert tuple(_RULES) == MUTATION_KINDS  # one rule per kind, in the documented order

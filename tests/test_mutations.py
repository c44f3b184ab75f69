"""Tests for the procedural bug injector (artifact/tasks/mutations.py)."""

from __future__ import annotations

import ast
import difflib
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from artifact.tasks.mutations import (
    MUTATION_KINDS,
    Mutation,
    enumerate_mutations,
    functions_in,
)

REPOS = Path(__file__).resolve().parents[1] / "artifact" / "tasks" / "tiny_suite" / "repos"


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _diff(mutation: Mutation) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) between the original and the mutated text."""
    removed, added = [], []
    lines = difflib.unified_diff(
        mutation.original.splitlines(), mutation.mutated.splitlines(), lineterm="", n=0
    )
    for line in lines:
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:])
    return removed, added


def _edits(source: str, kind: str) -> list[tuple[str, str]]:
    """Each mutation of `kind` as (old line, new line), stripped."""
    pairs = []
    for mutation in enumerate_mutations(source, "pkg/mod.py"):
        if mutation.kind == kind:
            removed, added = _diff(mutation)
            assert len(removed) == len(added) == 1, (removed, added)
            pairs.append((removed[0].strip(), added[0].strip()))
    return pairs


def _check_properties(mutations: list[Mutation], source: str) -> None:
    """Properties 1, 2 and 6 of every mutation of one (small) file."""
    baseline = ast.dump(ast.parse(source))
    for mutation in mutations:
        assert mutation.kind in MUTATION_KINDS
        assert mutation.original == source
        assert mutation.mutated != source
        assert ast.dump(ast.parse(mutation.mutated)) != baseline, mutation.description
        assert mutation.mutated.endswith("\n") == source.endswith("\n")
        removed, added = _diff(mutation)
        if mutation.kind == "drop_statement":
            assert removed and not added
        else:
            assert len(removed) == len(added) == 1, mutation.description
        # The mutated code is where the mutation says it is.
        assert removed[0] == source.splitlines()[mutation.lineno - 1], mutation.description


# --- one hand-written example per kind ---------------------------------------------------------


def test_flip_comparison_maps_every_operator() -> None:
    source = _src("""
        def f(a, b):
            r = [a < b, a <= b, a > b, a >= b]
            s = [a == b, a != b, a in b, a not in b, a is b, a is not b]
            return r, s
    """)
    new_lines = {new for _, new in _edits(source, "flip_comparison")}
    assert new_lines == {
        "r = [a <= b, a <= b, a > b, a >= b]",
        "r = [a < b, a < b, a > b, a >= b]",
        "r = [a < b, a <= b, a >= b, a >= b]",
        "r = [a < b, a <= b, a > b, a > b]",
        "s = [a != b, a != b, a in b, a not in b, a is b, a is not b]",
        "s = [a == b, a == b, a in b, a not in b, a is b, a is not b]",
        "s = [a == b, a != b, a not in b, a not in b, a is b, a is not b]",
        "s = [a == b, a != b, a in b, a in b, a is b, a is not b]",
        "s = [a == b, a != b, a in b, a not in b, a is not b, a is not b]",
        "s = [a == b, a != b, a in b, a not in b, a is b, a is b]",
    }


def test_flip_comparison_finds_the_real_operator_token() -> None:
    # Chained comparison, parentheses, an operator in a string and in a comment, non-ASCII text.
    source = _src("""
        def f(x, y):
            if "a<b" == "é" or 0 < (x) < y:  # x < y
                return 1
            return 0
    """)
    assert _edits(source, "flip_comparison") == [
        ('if "a<b" == "é" or 0 < (x) < y:  # x < y', 'if "a<b" != "é" or 0 < (x) < y:  # x < y'),
        ('if "a<b" == "é" or 0 < (x) < y:  # x < y', 'if "a<b" == "é" or 0 <= (x) < y:  # x < y'),
        ('if "a<b" == "é" or 0 < (x) < y:  # x < y', 'if "a<b" == "é" or 0 < (x) <= y:  # x < y'),
    ]


def test_swap_arith_operator() -> None:
    source = _src("""
        def f(a, b):
            total = a + b - a * b
            total += a // b + a / b + a % b
            return "%d items" % total
    """)
    assert [new for _, new in _edits(source, "swap_arith_operator")] == [
        "total = a - b - a * b",
        "total = a + b + a * b",
        "total = a + b - a + b",
        "total -= a // b + a / b + a % b",
        "total += a / b + a / b + a % b",
        "total += a // b - a / b + a % b",
        "total += a // b + a // b + a % b",
        "total += a // b + a / b - a % b",
        "total += a // b + a / b + a // b",
    ]  # no edit of the string formatting `%`


def test_off_by_one_constant() -> None:
    source = _src("""
        def f(items):
            flag = True
            return items[0] * 3, flag
    """)
    assert _edits(source, "off_by_one_constant") == [
        ("return items[0] * 3, flag", "return items[1] * 3, flag"),
        ("return items[0] * 3, flag", "return items[-1] * 3, flag"),
        ("return items[0] * 3, flag", "return items[0] * 4, flag"),
        ("return items[0] * 3, flag", "return items[0] * 2, flag"),
    ]  # never the bool


def test_off_by_one_range() -> None:
    source = _src("""
        def f(items, n):
            for i in range(n):
                items.append(i)
            for j in range(1, 10, 2):
                items.append(j)
            return items[:n], items[1:-1]
    """)
    assert [new for _, new in _edits(source, "off_by_one_range")] == [
        "for i in range(n + 1):",
        "for i in range(n - 1):",
        "for j in range(1, 11, 2):",
        "for j in range(1, 9, 2):",
        "return items[:n + 1], items[1:-1]",
        "return items[:n - 1], items[1:-1]",
        "return items[:n], items[2:-1]",
        "return items[:n], items[0:-1]",
        "return items[:n], items[1:0]",
        "return items[:n], items[1:-2]",
    ]
    # Bounds belong to off_by_one_range; the start and step of range() stay plain constants.
    constants = [new for _, new in _edits(source, "off_by_one_constant")]
    assert constants == [
        "for j in range(2, 10, 2):",
        "for j in range(0, 10, 2):",
        "for j in range(1, 10, 3):",
        "for j in range(1, 10, 1):",
    ]


def test_off_by_one_range_parenthesizes_loose_bounds() -> None:
    source = _src("""
        def f(a, b):
            return list(range(a if a else b))
    """)
    assert [new for _, new in _edits(source, "off_by_one_range")] == [
        "return list(range((a if a else b) + 1))",
        "return list(range((a if a else b) - 1))",
    ]


def test_drop_statement() -> None:
    source = _src("""
        def f(items):
            \"\"\"Docstring.\"\"\"
            seen = []
            for item in items:
                seen.append(item)
            total = sum(
                seen,
            )  # trailing comment
            if total:
                print(total)
            return total
    """)
    dropped = [
        (m.lineno, _diff(m))
        for m in enumerate_mutations(source, "m.py")
        if m.kind == "drop_statement"
    ]
    assert dropped == [
        (3, (["    seen = []"], [])),
        (6, (["    total = sum(", "        seen,", "    )  # trailing comment"], [])),
    ]  # not the docstring, not `seen.append` or `print` (only statements of their blocks)


def test_drop_statement_needs_a_line_of_its_own() -> None:
    source = _src("""
        def f(a):
            b = a; c = b
            d = 1
            return c + d
    """)
    assert [
        m.lineno for m in enumerate_mutations(source, "m.py") if m.kind == "drop_statement"
    ] == [3]


def test_swap_arguments() -> None:
    source = _src("""
        def f(a, b, store):
            store.put(a, (b), key=1)
            store.put(a, a)
            print(a, b)
            return max(a, b), isinstance(a, int)
    """)
    assert _edits(source, "swap_arguments") == [
        ("store.put(a, (b), key=1)", "store.put(b, (a), key=1)")
    ]


def test_wrong_return_name() -> None:
    source = _src("""
        class C:
            def m(self, a, b):
                c = a + b
                if c:
                    return c
                d = [x for x in range(c)]
                return d
    """)
    mutations = [m for m in enumerate_mutations(source, "m.py") if m.kind == "wrong_return_name"]
    assert [(m.lineno, _diff(m)[1][0].strip()) for m in mutations] == [
        (5, "return a"),
        (5, "return b"),  # not `d` (bound later), not `self`, not the comprehension's `x`
        (7, "return a"),
        (7, "return b"),
        (7, "return c"),
    ]
    assert {m.function for m in mutations} == {"C.m"}


def test_swap_bool_operator() -> None:
    source = _src("""
        def f(a, b, c):
            return a and b or c
    """)
    assert [new for _, new in _edits(source, "swap_bool_operator")] == [
        "return a or b or c",
        "return a and b and c",
    ]


def test_negate_condition() -> None:
    source = _src("""
        def f(a, b):
            if a < b:
                a = 1
            elif not a:
                a = 2
            while a or b:
                a = 0
            return a if b else b
    """)
    assert [new for _, new in _edits(source, "negate_condition")] == [
        "if not (a < b):",
        "elif a:",
        "while not (a or b):",
        "return a if not b else b",
    ]


# --- properties -------------------------------------------------------------------------------

SAMPLE = _src('''
    """Module docstring with 3 numbers: 1 < 2."""
    import functools

    LIMIT = 10
    TABLE = [i * 2 for i in range(LIMIT) if i > 1 and i != 3]


    def clamp(value: int = 5, low: "int" = 0, high: int = LIMIT + 1) -> int:
        """Clamp `value` into [low, high]; returns 0 if low > high."""
        if low > high:
            return 0
        result = max(low, min(value, high))
        return result


    class Window:
        """A sliding window of 4 items."""

        size: int = 4

        def __init__(self, items: list[int], size=2 + 2):
            self.items = list(items)
            self.size = size

        @functools.lru_cache(maxsize=128)
        def total(self) -> int:
            return sum(self.items[: self.size]) + 1

        async def fetch(self, key):
            def inner(k):
                return k * 2

            value = await self.load(key, 0)
            return inner(value)


    if __name__ == "__main__":
        print(clamp(3 - 1, 0))
''')


def test_functions_in_uses_qualified_names() -> None:
    assert functions_in(SAMPLE) == [
        "clamp",
        "Window.__init__",
        "Window.total",
        "Window.fetch",
        "Window.fetch.inner",
    ]
    functions = {m.function for m in enumerate_mutations(SAMPLE, "pkg/sample.py")}
    assert functions <= set(functions_in(SAMPLE))
    assert "Window.fetch.inner" in functions


def test_sample_properties() -> None:
    mutations = enumerate_mutations(SAMPLE, "pkg/sample.py")
    assert mutations
    assert {m.path for m in mutations} == {"pkg/sample.py"}
    _check_properties(mutations, SAMPLE)


def test_only_function_bodies_are_mutated() -> None:
    lines = SAMPLE.splitlines()
    body_lines = set()
    for node in ast.walk(ast.parse(SAMPLE)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[1] if isinstance(node.body[0], ast.Expr) else node.body[0]
            body_lines.update(range(first.lineno, node.end_lineno + 1))
    for mutation in enumerate_mutations(SAMPLE, "pkg/sample.py"):
        assert mutation.lineno in body_lines, mutation.description
        line = lines[mutation.lineno - 1]
        assert not line.lstrip().startswith(('"""', "def ", "async def ", "@")), line
    # In particular, none of these lines is ever touched.
    untouched = {
        i + 1
        for i, line in enumerate(lines)
        if line.lstrip().startswith(('"""', "def ", "async def ", "@", "size: int", "LIMIT"))
    }
    assert not untouched & {m.lineno for m in enumerate_mutations(SAMPLE, "pkg/sample.py")}


def test_annotations_in_bodies_are_not_mutated() -> None:
    source = _src("""
        def f(a):
            b: Annotated[int, 3] = a + 1
            return b
    """)
    assert _edits(source, "off_by_one_constant") == [
        ("b: Annotated[int, 3] = a + 1", "b: Annotated[int, 3] = a + 2"),
        ("b: Annotated[int, 3] = a + 1", "b: Annotated[int, 3] = a + 0"),
    ]


def test_fstrings_lambda_defaults_and_nested_signatures_are_left_alone() -> None:
    source = _src("""
        def f(items):
            key = lambda item, weight=2: item * weight
            @decorate(3)
            def inner(x=4) -> int:
                return x
            return f"{len(items) + 5}", key, inner
    """)
    changes = [(m.kind, m.lineno, _diff(m)[1]) for m in enumerate_mutations(source, "m.py")]
    assert changes == [
        ("drop_statement", 2, []),
        ("swap_arith_operator", 2, ["    key = lambda item, weight=2: item + weight"]),
    ]


def test_deterministic_sorted_and_unique() -> None:
    first = enumerate_mutations(SAMPLE, "pkg/sample.py")
    assert first == enumerate_mutations(SAMPLE, "pkg/sample.py")
    assert [m.lineno for m in first] == sorted(m.lineno for m in first)
    assert len({m.mutated for m in first}) == len(first)


def test_order_within_a_line_is_column_then_kind() -> None:
    source = _src("""
        def f(a):
            while 0 < a:
                a -= 1
            return a
    """)
    line2 = [m.kind for m in enumerate_mutations(source, "m.py") if m.lineno == 2]
    # `0` starts the test (negate_condition, then off_by_one_constant twice), then `<`.
    assert line2 == [
        "negate_condition",
        "off_by_one_constant",
        "off_by_one_constant",
        "flip_comparison",
    ]


def test_duplicates_are_removed() -> None:
    source = _src("""
        def f(x):
            x += 1
            x += 1
            return x
    """)
    dropped = [m.lineno for m in enumerate_mutations(source, "m.py") if m.kind == "drop_statement"]
    assert dropped == [2]  # dropping line 3 gives the very same file


def test_preserves_missing_trailing_newline_and_crlf() -> None:
    source = "def f(a):\n    b = a\n    c = b + 1\n    return c"
    mutations = enumerate_mutations(source, "m.py")
    assert mutations
    _check_properties(mutations, source)
    dropped = [m.mutated for m in mutations if m.kind == "drop_statement"]
    assert "def f(a):\n    c = b + 1\n    return c" in dropped

    crlf = source.replace("\n", "\r\n") + "\r\n"
    for mutation in enumerate_mutations(crlf, "m.py"):
        assert mutation.mutated.count("\r\n") == mutation.mutated.count("\n")
        assert mutation.mutated.endswith("\r\n")


def test_nothing_to_mutate() -> None:
    assert enumerate_mutations('"""Only a docstring."""\nX = 1 + 2\n', "m.py") == []
    assert functions_in("X = 1\n") == []


# --- the tiny suite's repositories --------------------------------------------------------------


def _repo_sources() -> list[Path]:
    """Every .py file of every repository's package(s), i.e. repos/*/<pkg>/, tests excluded."""
    files = []
    for package in sorted(p for p in REPOS.glob("*/*") if p.is_dir()):
        if package.name != "tests" and not package.name.startswith((".", "_")):
            files.extend(sorted(package.rglob("*.py")))
    return files


def _functions_named(body: list[ast.stmt], name: str, prefix: str = "") -> list[str]:
    """ast.dump of each function with this qualified name defined in these statements (a
    property's getter and setter share one)."""
    found: list[str] = []
    for stmt in body:
        inner = prefix
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = f"{prefix}{stmt.name}."
            if not isinstance(stmt, ast.ClassDef) and prefix + stmt.name == name:
                found.append(ast.dump(stmt))
        if not name.startswith(inner):
            continue
        blocks = [getattr(stmt, field, None) for field in ("body", "orelse", "finalbody")]
        blocks += [
            part.body for part in [*getattr(stmt, "handlers", []), *getattr(stmt, "cases", [])]
        ]
        for block in blocks:
            if isinstance(block, list):
                found.extend(_functions_named(block, name, inner))
    return found


def _check_cheaply(mutations: list[Mutation], source: str) -> None:
    """Properties 1 and 2 for many mutations at once. Whole-file parses and dumps would take
    seconds here, so the lines are compared directly (which proves everything else is
    unchanged) and only the module-level statement holding the change is re-parsed; in it, the
    function named by the mutation must have a different AST."""
    lines = source.splitlines()
    tree = ast.parse(source)
    original_dumps: dict[tuple[int, str], list[str]] = {}
    for mutation in mutations:
        assert mutation.kind in MUTATION_KINDS and mutation.original == source
        new = mutation.mutated.splitlines()
        removed, i = len(lines) - len(new), mutation.lineno - 1
        if mutation.kind == "drop_statement":
            assert removed > 0 and new == lines[:i] + lines[i + removed :], mutation.description
        else:
            assert removed == 0 and new[i] != lines[i], mutation.description
            assert new[:i] == lines[:i] and new[i + 1 :] == lines[i + 1 :], mutation.description
        index, top = next(
            (index, stmt)
            for index, stmt in enumerate(tree.body)
            if stmt.lineno <= mutation.lineno <= stmt.end_lineno
        )
        first = min([top.lineno, *(d.lineno for d in getattr(top, "decorator_list", []))])
        segment = ast.parse("\n".join(new[first - 1 : top.end_lineno - removed]))
        assert len(segment.body) == 1, mutation.description
        key = (index, mutation.function)
        if key not in original_dumps:
            original_dumps[key] = _functions_named([top], mutation.function)
        after = _functions_named(segment.body, mutation.function)
        assert after and after != original_dumps[key], mutation.description


def test_tiny_suite_repositories() -> None:
    files = _repo_sources()
    if not files:
        pytest.skip("no repositories under artifact/tasks/tiny_suite/repos yet")
    kinds: Counter[str] = Counter()
    for path in files:
        source = path.read_text(encoding="utf-8")
        mutations = enumerate_mutations(source, str(path.relative_to(path.parents[1])))
        _check_cheaply(mutations, source)
        assert len({m.mutated for m in mutations}) == len(mutations)
        kinds.update(m.kind for m in mutations)
    missing = [kind for kind in MUTATION_KINDS if not kinds[kind]]
    assert not missing, f"kinds never produced on the tiny suite: {missing}"

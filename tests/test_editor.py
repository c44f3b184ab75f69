"""The standalone `str_replace_editor` script (run as a subprocess, the way the agent runs it)
and `artifact.tools.editor.editor_command`, which builds its bash command line."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from artifact.tools.editor import EDITOR_SCRIPT, editor_command, parse_view_range

# `-S`: the script needs only the standard library; skipping site-packages keeps the many
# subprocesses of this file fast.
PYTHON = [sys.executable, "-S"]
SAMPLE = "".join(f"line {i}\n" for i in range(1, 21))  # 20 lines


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment["OEC_EDITOR_STATE"] = str(tmp_path / "state" / "editor.json")
    environment["OEC_WORKDIR"] = "/testbed"
    environment.pop("OEC_EDITOR_MAX_RESPONSE_LEN", None)
    return environment


@pytest.fixture
def run(env):
    def _run(*args: str, expect: int | None = 0) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*PYTHON, str(EDITOR_SCRIPT), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=False,
        )
        if expect is not None:
            assert result.returncode == expect, (result.stdout, result.stderr)
        return result

    return _run


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "sample.txt"
    path.parent.mkdir()
    path.write_text(SAMPLE)
    return path


def numbered(start: int, lines: list[str]) -> str:
    return "\n".join(f"{i:6}\t{line}" for i, line in enumerate(lines, start=start))


# ------------------------------------------------------------------------------------ script


def test_script_is_executable_with_python3_shebang():
    assert EDITOR_SCRIPT.is_file()
    assert EDITOR_SCRIPT.read_text().startswith("#!/usr/bin/env python3\n")
    assert EDITOR_SCRIPT.stat().st_mode & stat.S_IXUSR


def test_script_is_python38_compatible_and_stdlib_only():
    source = EDITOR_SCRIPT.read_text()
    tree = ast.parse(source, feature_version=(3, 8))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
    for newer in (".removesuffix(", ".removeprefix(", "functools.cache("):
        assert newer not in source


# -------------------------------------------------------------------------------------- view


def test_view_file_is_cat_n(run, sample):
    out = run("view", str(sample)).stdout
    header = f"Here's the result of running `cat -n` on {sample}:\n"
    assert out == header + numbered(1, [f"line {i}" for i in range(1, 21)]) + "\n"
    # Same numbering as the real `cat -n` (no phantom empty line for the final newline).
    if shutil.which("cat"):
        cat = subprocess.run(
            ["cat", "-n", str(sample)], capture_output=True, text=True, check=True
        ).stdout
        assert out == header + cat


def test_view_keeps_tabs_and_shows_file_without_trailing_newline(run, tmp_path):
    path = tmp_path / "t.py"
    path.write_text("def f():\n\treturn 1")
    out = run("view", str(path)).stdout
    assert out.endswith("     1\tdef f():\n     2\t\treturn 1\n")


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        ("3", "5", 3, 5),
        ("1", "1", 1, 1),
        ("18", "-1", 18, 20),
        ("20", "20", 20, 20),
        ("1", "-1", 1, 20),
        ("5", "20", 5, 20),
    ],
)
def test_view_range(run, sample, start, end, first, last):
    out = run("view", str(sample), "--view_range", start, end).stdout
    body = out.split("\n", 1)[1]
    assert body == numbered(first, [f"line {i}" for i in range(first, last + 1)]) + "\n"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            "0",
            "5",
            "Its first element `0` should be within the range of lines of the file: [1, 20]",
        ),
        ("21", "-1", "Its first element `21` should be within the range of lines of the file"),
        ("-1", "3", "Its first element `-1` should be within the range"),
        ("5", "3", "Its second element `3` should be larger or equal than its first `5`"),
        ("5", "-2", "Its second element `-2` should be larger or equal than its first `5`"),
        ("5", "21", "Its second element `21` should be smaller than the number of lines"),
    ],
)
def test_view_range_errors(run, sample, start, end, message):
    out = run("view", str(sample), "--view_range", start, end, expect=1).stdout
    assert out.startswith(f"Invalid `view_range`: [{start}, {end}]. ")
    assert message in out


def test_view_range_usage_errors_exit_2(run, sample):
    assert run("view", str(sample), "--view_range", "3", expect=2).returncode == 2
    assert run("view", str(sample), "--view_range", "a", "b", expect=2).returncode == 2


def test_view_empty_file(run, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("")
    assert run("view", str(path)).stdout == (
        f"Here's the result of running `cat -n` on {path}:\n\n"
    )
    out = run("view", str(path), "--view_range", "1", "-1", expect=1).stdout
    assert "is empty" in out


def test_view_directory_two_levels_without_hidden(run, tmp_path):
    root = tmp_path / "repo"
    for rel in [
        "b.py",
        "a/x.py",
        "a/sub/deep.py",
        "a/sub/deeper/deepest.py",
        "a/.hidden_file",
        ".git/config",
        ".github/workflows/ci.yml",
        "c/.secret/inner.txt",
        "c/z.txt",
    ]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x\n")
    (root / "emptydir").mkdir()
    out = run("view", str(root)).stdout
    assert out == (
        f"Here's the files and directories up to 2 levels deep in {root}, excluding hidden "
        "items:\n"
        + "\n".join(
            [str(root)]
            + [
                str(root / rel)
                for rel in ["a", "a/sub", "a/x.py", "b.py", "c", "c/z.txt", "emptydir"]
            ]
        )
        + "\n"
    )
    assert run("view", str(root)).stdout == out  # deterministic


def test_view_directory_rejects_view_range(run, tmp_path):
    out = run("view", str(tmp_path), "--view_range", "1", "2", expect=1).stdout
    assert "The `view_range` parameter is not allowed when `path` points to a directory." in out


def test_view_long_file_is_clipped(run, env, tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("".join(f"{'x' * 50} {i}\n" for i in range(2000)))
    out = run("view", str(path)).stdout
    assert "<response clipped><NOTE>" in out and "grep -n" in out
    assert len(out) < 17000
    # a view_range short enough is shown in full
    assert "<response clipped>" not in run("view", str(path), "--view_range", "1", "10").stdout


def test_non_utf8_file_gives_clear_error(run, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\xe9\n".encode("latin-1"))
    for args in (
        ["view", str(path)],
        ["str_replace", str(path), "--old_str", "caf"],
        ["insert", str(path), "--insert_line", "0", "--new_str", "x"],
    ):
        out = run(*args, expect=1).stdout
        assert f"The file {path} is not a UTF-8 text file" in out
    assert path.read_bytes() == "caf\xe9\n".encode("latin-1")


def test_utf8_content_round_trips(run, tmp_path):
    path = tmp_path / "u.txt"
    path.write_text("héllo wörld ✓\n", encoding="utf-8")
    run("str_replace", str(path), "--old_str", "wörld", "--new_str", "мир")
    assert path.read_text(encoding="utf-8") == "héllo мир ✓\n"
    assert "héllo мир ✓" in run("view", str(path)).stdout


# ------------------------------------------------------------------------------------ paths


def test_relative_path_suggests_workdir(run, env):
    out = run("view", "src/x.py", expect=1).stdout
    assert out.strip() == (
        "The path src/x.py is not an absolute path, it should start with `/`. Maybe you meant "
        "/testbed/src/x.py?"
    )
    env["OEC_WORKDIR"] = "/repo"
    out = run("create", "x.py", "--file_text", "", expect=1).stdout
    assert "Maybe you meant /repo/x.py?" in out


@pytest.mark.parametrize(
    "args",
    [
        ["view"],
        ["str_replace", "--old_str", "a"],
        ["insert", "--insert_line", "0", "--new_str", "a"],
        ["undo_edit"],
    ],
)
def test_missing_path(run, tmp_path, args):
    missing = tmp_path / "nope.py"
    out = run(args[0], str(missing), *args[1:], expect=1).stdout
    assert out.strip() == f"The path {missing} does not exist. Please provide a valid path."


@pytest.mark.parametrize(
    "args",
    [
        ["str_replace", "--old_str", "a"],
        ["insert", "--insert_line", "0", "--new_str", "a"],
        ["undo_edit"],
    ],
)
def test_directory_only_for_view(run, tmp_path, args):
    out = run(args[0], str(tmp_path), *args[1:], expect=1).stdout
    assert "is a directory and only the `view` command can be used on directories" in out


def test_unknown_command_is_usage_error(run, tmp_path):
    result = run("delete", str(tmp_path), expect=2)
    assert "invalid choice" in result.stderr


# ------------------------------------------------------------------------------------ create


def test_create_makes_parents_and_keeps_text_exactly(run, tmp_path):
    path = tmp_path / "new" / "pkg" / "mod.py"
    text = "def f():\n\tif x:\n\t\treturn '$HOME \\n'\n"
    out = run("create", str(path), "--file_text", text).stdout
    assert out.strip() == f"File created successfully at: {path}"
    assert path.read_bytes() == text.encode()
    no_newline = tmp_path / "plain.txt"
    run("create", str(no_newline), "--file_text", "no newline")
    assert no_newline.read_bytes() == b"no newline"
    empty = tmp_path / "empty.txt"
    run("create", str(empty), "--file_text", "")
    assert empty.read_bytes() == b""


def test_create_refuses_to_overwrite(run, sample):
    out = run("create", str(sample), "--file_text", "x", expect=1).stdout
    assert out.strip() == (
        f"File already exists at: {sample}. Cannot overwrite files using command `create`."
    )
    assert sample.read_text() == SAMPLE


def test_create_requires_file_text(run, tmp_path):
    out = run("create", str(tmp_path / "a.py"), expect=1).stdout
    assert "Parameter `file_text` is required for command: create" in out
    assert not (tmp_path / "a.py").exists()


# ------------------------------------------------------------------------------- str_replace


def test_str_replace_success_output(run, sample):
    out = run(
        "str_replace",
        str(sample),
        "--old_str",
        "line 10\n",
        "--new_str",
        "line ten\nline ten and a half\n",
    ).stdout
    lines = SAMPLE.replace("line 10\n", "line ten\nline ten and a half\n").splitlines()
    assert out == (
        f"The file {sample} has been edited. Here's the result of running `cat -n` on a snippet "
        f"of {sample}:\n"
        + numbered(6, lines[5:15])
        + "\nReview the changes and make sure they are as expected. Edit the file again if "
        "necessary.\n"
    )
    assert sample.read_text() == "\n".join(lines) + "\n"


def test_str_replace_snippet_at_file_start_and_end(run, sample):
    out = run("str_replace", str(sample), "--old_str", "line 1\n", "--new_str", "first\n").stdout
    assert numbered(1, ["first", "line 2", "line 3", "line 4", "line 5"]) + "\nReview" in out
    out = run("str_replace", str(sample), "--old_str", "line 20", "--new_str", "last").stdout
    assert numbered(16, ["line 16", "line 17", "line 18", "line 19", "last"]) + "\nReview" in out


def test_str_replace_multiline_and_deletion(run, tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        pass\n"
    )
    run(
        "str_replace",
        str(path),
        "--old_str",
        "    def f(self):\n        return 1\n",
        "--new_str",
        "    def f(self):\n        x = 2\n        return x\n",
    )
    assert path.read_text() == (
        "class A:\n    def f(self):\n        x = 2\n        return x\n\n"
        "    def g(self):\n        pass\n"
    )
    # --new_str omitted: delete
    run("str_replace", str(path), "--old_str", "\n    def g(self):\n        pass\n")
    assert path.read_text() == "class A:\n    def f(self):\n        x = 2\n        return x\n"


def test_str_replace_not_found(run, sample):
    out = run("str_replace", str(sample), "--old_str", "line 99", "--new_str", "x", expect=1).stdout
    assert out.strip() == (
        f"No replacement was performed, old_str `line 99` did not appear verbatim in {sample}."
    )
    assert sample.read_text() == SAMPLE


def test_str_replace_does_not_expand_tabs(run, tmp_path):
    path = tmp_path / "tabs.py"
    path.write_text("if x:\n\ty = 1\n")
    out = run(
        "str_replace", str(path), "--old_str", "        y = 1", "--new_str", "z", expect=1
    ).stdout
    assert "did not appear verbatim" in out
    run("str_replace", str(path), "--old_str", "\ty = 1", "--new_str", "\ty = 2\n\tw = 3")
    assert path.read_bytes() == b"if x:\n\ty = 2\n\tw = 3\n"


def test_str_replace_must_be_unique(run, tmp_path):
    path = tmp_path / "dup.py"
    text = "a = 1\nb = 2\nfoo()\nc = 3\nd = 4\ne = 5\nf = 6\ng = 7\nfoo()\n"
    path.write_text(text)
    out = run("str_replace", str(path), "--old_str", "foo()", "--new_str", "bar()", expect=1).stdout
    assert out.strip() == (
        "No replacement was performed. Multiple occurrences of old_str `foo()` in lines [3, 9]. "
        "Please ensure it is unique"
    )
    assert path.read_text() == text
    # overlapping occurrences are ambiguous too
    path.write_text("aaa\n")
    out = run("str_replace", str(path), "--old_str", "aa", "--new_str", "b", expect=1).stdout
    assert "Multiple occurrences of old_str `aa` in lines [1]" in out
    # more context makes it unique
    path.write_text(text)
    run("str_replace", str(path), "--old_str", "g = 7\nfoo()", "--new_str", "g = 7\nbar()")
    assert path.read_text() == text[: text.rindex("foo()")] + "bar()\n"


def test_str_replace_parameter_errors(run, sample):
    out = run("str_replace", str(sample), "--new_str", "x", expect=1).stdout
    assert "Parameter `old_str` is required for command: str_replace" in out
    out = run("str_replace", str(sample), "--old_str", "", "--new_str", "x", expect=1).stdout
    assert "old_str is empty" in out
    out = run(
        "str_replace", str(sample), "--old_str", "line 3", "--new_str", "line 3", expect=1
    ).stdout
    assert "old_str `line 3` is the same as new_str `line 3`" in out
    assert sample.read_text() == SAMPLE


def test_str_replace_preserves_missing_trailing_newline(run, tmp_path):
    path = tmp_path / "nonl.txt"
    path.write_text("a\nb")
    run("str_replace", str(path), "--old_str", "b", "--new_str", "c\nd")
    assert path.read_bytes() == b"a\nc\nd"


def test_str_replace_on_crlf_file(run, tmp_path):
    path = tmp_path / "win.txt"
    path.write_bytes(b"one\r\ntwo\r\nthree\r\n")
    assert "     2\ttwo\n" in run("view", str(path)).stdout
    run("str_replace", str(path), "--old_str", "one\ntwo", "--new_str", "1\n2\n2.5")
    assert path.read_bytes() == b"1\r\n2\r\n2.5\r\nthree\r\n"
    run("insert", str(path), "--insert_line", "4", "--new_str", "four\nfive")
    assert path.read_bytes() == b"1\r\n2\r\n2.5\r\nthree\r\nfour\r\nfive\r\n"


def test_values_starting_with_dashes(run, tmp_path):
    path = tmp_path / "opts.txt"
    path.write_text("--verbose\n-x\n")
    run("str_replace", str(path), "--old_str=--verbose", "--new_str=--quiet")
    run("str_replace", str(path), "--old_str", "-x\n", "--new_str", "-")
    assert path.read_text() == "--quiet\n-"
    run("str_replace", str(path), "--old_str", "\n-", "--new_str", "\n--")
    assert path.read_text() == "--quiet\n--"


# ------------------------------------------------------------------------------------ insert


@pytest.mark.parametrize(
    ("content", "line", "new", "expected"),
    [
        ("a\nb\nc\n", 0, "top", "top\na\nb\nc\n"),
        ("a\nb\nc\n", 1, "x\ny", "a\nx\ny\nb\nc\n"),
        ("a\nb\nc\n", 3, "end", "a\nb\nc\nend\n"),
        ("a\nb\nc", 3, "end", "a\nb\nc\nend"),  # no trailing newline stays so
        ("a\nb\nc\n", 2, "x\n", "a\nb\nx\nc\n"),  # a final newline ends the last line
        ("a\nb\n", 1, "", "a\n\nb\n"),  # empty new_str inserts an empty line
        ("a\nb\n", 1, "\tindented", "a\n\tindented\nb\n"),
        ("", 0, "first", "first\n"),
    ],
)
def test_insert(run, tmp_path, content, line, new, expected):
    path = tmp_path / "ins.txt"
    path.write_text(content)
    run("insert", str(path), "--insert_line", str(line), "--new_str", new)
    assert path.read_bytes() == expected.encode()


def test_insert_output_snippet(run, sample):
    out = run("insert", str(sample), "--insert_line", "10", "--new_str", "new A\nnew B").stdout
    assert out == (
        f"The file {sample} has been edited. Here's the result of running `cat -n` on a snippet "
        "of the edited file:\n"
        + numbered(
            7,
            [
                "line 7",
                "line 8",
                "line 9",
                "line 10",
                "new A",
                "new B",
                "line 11",
                "line 12",
                "line 13",
                "line 14",
            ],
        )
        + "\nReview the changes and make sure they are as expected (correct indentation, no "
        "duplicate lines, etc). Edit the file again if necessary.\n"
    )
    out = run("insert", str(sample), "--insert_line", "0", "--new_str", "zero").stdout
    assert numbered(1, ["zero", "line 1", "line 2", "line 3", "line 4"]) + "\nReview" in out


def test_insert_errors(run, sample):
    for bad in ("-1", "21"):
        out = run("insert", str(sample), "--insert_line", bad, "--new_str", "x", expect=1).stdout
        assert out.strip() == (
            f"Invalid `insert_line` parameter: {bad}. It should be within the range of lines of "
            "the file: [0, 20]"
        )
    out = run("insert", str(sample), "--new_str", "x", expect=1).stdout
    assert "Parameter `insert_line` is required for command: insert" in out
    out = run("insert", str(sample), "--insert_line", "1", expect=1).stdout
    assert "Parameter `new_str` is required for command: insert" in out
    run("insert", str(sample), "--insert_line", "one", "--new_str", "x", expect=2)
    assert sample.read_text() == SAMPLE


# --------------------------------------------------------------------------------- undo_edit


def test_undo_across_invocations(run, env, sample):
    versions = [sample.read_text()]
    run("str_replace", str(sample), "--old_str", "line 5\n", "--new_str", "five\n")
    versions.append(sample.read_text())
    run("insert", str(sample), "--insert_line", "0", "--new_str", "header")
    versions.append(sample.read_text())
    run("str_replace", str(sample), "--old_str", "line 20\n")
    versions.append(sample.read_text())
    assert len(set(versions)) == 4

    state = json.loads(Path(env["OEC_EDITOR_STATE"]).read_text())
    assert state["history"][str(sample)] == versions[:3]

    for expected in reversed(versions[:3]):
        out = run("undo_edit", str(sample)).stdout
        assert out.startswith(f"Last edit to {sample} undone successfully. ")
        assert f"Here's the result of running `cat -n` on {sample}:\n" in out
        assert sample.read_text() == expected
    out = run("undo_edit", str(sample), expect=1).stdout
    assert out.strip() == f"No edit history found for {sample}."
    assert sample.read_text() == SAMPLE


def test_undo_history_is_per_path(run, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("A\n")
    b.write_text("B\n")
    run("str_replace", str(a), "--old_str", "A", "--new_str", "A2")
    run("str_replace", str(b), "--old_str", "B", "--new_str", "B2")
    run("str_replace", str(a), "--old_str", "A2", "--new_str", "A3")
    run("undo_edit", str(b))
    assert (a.read_text(), b.read_text()) == ("A3\n", "B\n")
    run("undo_edit", str(b), expect=1)
    run("undo_edit", str(a))
    run("undo_edit", str(a))
    assert a.read_text() == "A\n"


def test_undo_of_create_removes_the_file(run, tmp_path):
    path = tmp_path / "made.py"
    run("create", str(path), "--file_text", "v1\n")
    run("str_replace", str(path), "--old_str", "v1", "--new_str", "v2")
    run("undo_edit", str(path))
    assert path.read_text() == "v1\n"
    out = run("undo_edit", str(path)).stdout
    assert out.startswith(f"Last edit to {path} undone successfully.")
    assert not path.exists()
    assert "does not exist" in run("undo_edit", str(path), expect=1).stdout


def test_failed_edits_leave_no_history(run, sample):
    run("str_replace", str(sample), "--old_str", "nope", "--new_str", "x", expect=1)
    run("insert", str(sample), "--insert_line", "99", "--new_str", "x", expect=1)
    assert "No edit history found" in run("undo_edit", str(sample), expect=1).stdout


@pytest.mark.parametrize("garbage", ["{not json", "[1, 2]", '{"history": {"/x": "str"}}', ""])
def test_corrupt_state_file_starts_fresh(run, env, sample, garbage):
    state = Path(env["OEC_EDITOR_STATE"])
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(garbage)
    assert "No edit history found" in run("undo_edit", str(sample), expect=1).stdout
    run("str_replace", str(sample), "--old_str", "line 1\n", "--new_str", "one\n")
    assert json.loads(state.read_text())["history"] == {str(sample): [SAMPLE]}
    run("undo_edit", str(sample))
    assert sample.read_text() == SAMPLE
    assert [p.name for p in state.parent.iterdir()] == [state.name]  # no temp files left


def test_state_file_defaults_to_home(run, env, tmp_path, sample):
    home = tmp_path / "home"
    home.mkdir()
    del env["OEC_EDITOR_STATE"]
    env["HOME"] = str(home)
    run("str_replace", str(sample), "--old_str", "line 2\n", "--new_str", "two\n")
    assert (home / ".oec_editor_state.json").is_file()
    run("undo_edit", str(sample))
    assert sample.read_text() == SAMPLE


# --------------------------------------------------------------------------- editor_command


def bash_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    environment = dict(env)
    environment["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    environment["HOME_MARKER"] = "expanded!"
    return environment


def run_bash(command: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    bindir = tmp_path / "bin"
    if not bindir.exists():
        bindir.mkdir()
        # A wrapper so that `str_replace_editor` on PATH runs with the test's interpreter.
        wrapper = bindir / "str_replace_editor"
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "{EDITOR_SCRIPT}" "$@"\n')
        wrapper.chmod(0o755)
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        env=bash_env(env, tmp_path),
        timeout=30,
        check=False,
    )


TRICKY = [
    # quotes, $VARS and command substitutions, backslashes, newlines and tabs, shell syntax
    (
        'it\'s a "quoted" string\n$HOME_MARKER ${HOME_MARKER} $(echo no) `echo no`\n'
        "back\\slash \\n \\t \\\\ end\\\n\twith tab; rm -rf / # !bang *glob? ~tilde 100%\n"
    ),
    "-starts-with-dash",
    "--looks-like-an-option\n  and a second line",
    "",
]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("text", TRICKY)
def test_editor_command_round_trip(env, tmp_path, text):
    """`bash -c editor_command(...)` edits exactly like the script called with an argv list."""
    by_list = tmp_path / "list" / "f.txt"
    by_bash = tmp_path / "bash" / "f.txt"
    env_list = dict(env, OEC_EDITOR_STATE=str(tmp_path / "s1.json"))
    run_bash("true", env, tmp_path)  # installs the wrapper
    env_bash = bash_env(env, tmp_path)
    env_bash["OEC_EDITOR_STATE"] = str(tmp_path / "s2.json")
    original = "start\n@@SLOT@@\nend\n"

    def both(arguments: dict[str, str], args: list[str]) -> None:
        # The two runs touch different files and states: run them side by side.
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
        direct = subprocess.Popen([*PYTHON, str(EDITOR_SCRIPT), *args], env=env_list, **pipes)
        command = editor_command(dict(arguments, path=str(by_bash)))
        via_bash = subprocess.Popen(["bash", "-c", command], env=env_bash, **pipes)
        d_out, d_err = direct.communicate(timeout=30)
        b_out, b_err = via_bash.communicate(timeout=30)
        assert (via_bash.returncode, b_err) == (direct.returncode, d_err) == (0, "")
        assert b_out == d_out.replace(str(by_list), str(by_bash))
        assert by_bash.read_bytes() == by_list.read_bytes()

    both(
        {"command": "create", "file_text": original + text},
        ["create", str(by_list), "--file_text", original + text],
    )
    both(
        {"command": "str_replace", "old_str": "@@SLOT@@", "new_str": text},
        ["str_replace", str(by_list), "--old_str", "@@SLOT@@", "--new_str", text],
    )
    both(
        {"command": "insert", "insert_line": "1", "new_str": text},
        ["insert", str(by_list), "--insert_line", "1", "--new_str", text],
    )
    if text:
        assert by_list.read_text().count(text) == 3
        both(
            {"command": "str_replace", "old_str": "start\n" + text, "new_str": "S"},
            ["str_replace", str(by_list), "--old_str", f"start\n{text}", "--new_str", "S"],
        )
    both({"command": "undo_edit"}, ["undo_edit", str(by_list)])


def test_editor_command_format():
    assert (
        editor_command({"command": "view", "path": "/testbed/x.py", "view_range": "[10, 20]"})
        == "str_replace_editor view /testbed/x.py --view_range 10 20"
    )
    assert (
        editor_command({"command": "view", "path": "/testbed/x.py", "view_range": "10 -1"})
        == "str_replace_editor view /testbed/x.py --view_range 10 -1"
    )
    assert (
        editor_command({"command": "view", "path": "/testbed"})
        == "str_replace_editor view /testbed"
    )
    assert (
        editor_command(
            {"command": "insert", "path": "/a b/c.py", "insert_line": " 3 ", "new_str": "x = 1\n"}
        )
        == "str_replace_editor insert '/a b/c.py' --insert_line 3 --new_str 'x = 1\n'"
    )
    assert (
        editor_command({"command": "undo_edit", "path": "/x", "old_str": "ignored"})
        == "str_replace_editor undo_edit /x"
    )
    # parameters of other commands are dropped, None values skipped
    assert (
        editor_command(
            {
                "command": "str_replace",
                "path": "/x",
                "old_str": "a",
                "new_str": None,
                "file_text": "zzz",
                "view_range": "junk",
            }
        )
        == "str_replace_editor str_replace /x --old_str a"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[10, 20]", (10, 20)),
        ("10 20", (10, 20)),
        ("10,20", (10, 20)),
        ("(1, -1)", (1, -1)),
        (" [ 3 ,4 ] ", (3, 4)),
        ([5, 6], (5, 6)),
        (["7", "-1"], (7, -1)),
        ("[+1, 2]", (1, 2)),
    ],
)
def test_parse_view_range_lenient(value, expected):
    assert parse_view_range(value) == expected


@pytest.mark.parametrize("value", ["[10]", "1 2 3", "a b", "[1.5, 2]", "", "10-20", [1]])
def test_parse_view_range_rejects(value):
    with pytest.raises(ValueError, match="view_range"):
        parse_view_range(value)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"path": "/x"}, "missing the required parameter `command`"),
        ({"command": " ", "path": "/x"}, "missing the required parameter `command`"),
        ({"command": "view"}, "missing the required parameter `path`"),
        ({"command": "view", "path": ""}, "missing the required parameter `path`"),
        ({"command": "delete", "path": "/x"}, "Unknown str_replace_editor command 'delete'"),
        ({"command": "view", "path": "/x", "view_range": "[1]"}, "Invalid view_range"),
    ],
)
def test_editor_command_errors(arguments, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")) as info:
        editor_command(arguments)
    assert "\n" not in str(info.value)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_editor_command_relative_and_dash_paths(env, tmp_path):
    out = run_bash(editor_command({"command": "view", "path": "src/a.py"}), env, tmp_path)
    assert out.returncode == 1
    assert "Maybe you meant /testbed/src/a.py?" in out.stdout
    out = run_bash(editor_command({"command": "view", "path": "-a.py"}), env, tmp_path)
    assert out.returncode == 1
    assert "The path -a.py is not an absolute path" in out.stdout

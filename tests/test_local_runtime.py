"""The local runtime: one-commit workspaces, diff(), apply_patch() and cleanup."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from artifact.runtime.local import LocalRuntime, LocalSession, export_commit
from artifact.runtime.sandbox import detect_mechanism
from artifact.tasks.schema import Task

pytestmark = pytest.mark.skipif(detect_mechanism() is None, reason="no sandbox mechanism here")


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
           "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> tuple[Path, str]:
    """A repository whose second commit (the 'fix') must stay invisible; returns (path, base)."""
    root = tmp_path_factory.mktemp("repo") / "calc"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "calc").mkdir()
    (root / "calc" / "__init__.py").write_text("")
    (root / "calc" / "ops.py").write_text("def add(a, b):\n    return a - b  # bug\n")
    (root / "calc" / "old.py").write_text("LEGACY = True\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_ops.py").write_text(
        "from calc.ops import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n")
    (root / ".gitignore").write_text("*.log\n")
    (root / "kept.log").write_text("tracked although ignored\n")
    git(root, "add", "-A", "-f")
    git(root, "commit", "-q", "-m", "base: add calc")
    base = git(root, "rev-parse", "HEAD").strip()
    (root / "calc" / "ops.py").write_text("def add(a, b):\n    return a + b\n")
    git(root, "commit", "-q", "-am", "SECRET fix the add bug")
    return root, base


def make_task(repo_path: Path, base: str) -> Task:
    return Task(instance_id="calc-1", repo="local/calc", base_commit=base, patch="",
                test_patch="", FAIL_TO_PASS=["tests/test_ops.py::test_add"], PASS_TO_PASS=[],
                problem_statement="add() subtracts", version="0", repo_path=str(repo_path))


@pytest.fixture
def session(repo, tmp_path: Path):
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "hello_tool").write_text("#!/bin/sh\necho tool: $OEC_EDITOR_STATE\n")
    (tools / "hello_tool").chmod(0o755)
    s = LocalRuntime(tools_dir=tools).start(make_task(*repo))
    yield s
    s.close()


def test_start_shows_the_base_files_and_one_commit(session: LocalSession):
    assert session.workdir == "/testbed"
    result = session.run("pwd; cat calc/ops.py; cat kept.log; git log --all --format='%an %s'")
    assert result.exit_code == 0, result.output
    assert result.output == ("/testbed\ndef add(a, b):\n    return a - b  # bug\n"
                             "tracked although ignored\noec Initial commit\n")
    assert "SECRET" not in session.run("git log --all; git reflog; cat .git/packed-refs").output
    assert session.run("git status --porcelain").output == ""


def test_bare_repository_works(repo, tmp_path: Path):
    path, base = repo
    bare = tmp_path / "calc.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(path), str(bare)], check=True)
    with LocalRuntime().start(make_task(bare, base)) as s:
        assert "a - b" in s.run("cat calc/ops.py").output


def test_tools_and_editor_state(session: LocalSession):
    result = session.run("hello_tool")
    assert result.output == "tool: /testbed/.git/oec_editor_state.json\n"


def test_diff_has_edits_new_files_and_deletions_but_no_caches(session: LocalSession):
    session.run("sed -i 's/a - b  # bug/a + b/' calc/ops.py; rm calc/old.py; "
                "mkdir -p docs && echo notes > docs/new.md; printf '\\0\\1\\2' > blob.bin; "
                "mkdir -p calc/__pycache__ && echo x > calc/__pycache__/ops.cpython-311.pyc; "
                "mkdir -p .pytest_cache && echo x > .pytest_cache/v; echo x > stray.pyc; "
                "echo '{}' > .git/oec_editor_state.json; echo x > debug.log")
    patch = session.diff()
    assert "diff --git a/calc/ops.py b/calc/ops.py" in patch and "+    return a + b" in patch
    assert "diff --git a/calc/old.py b/calc/old.py\ndeleted file mode" in patch
    assert "diff --git a/docs/new.md b/docs/new.md\nnew file mode" in patch
    assert "GIT binary patch" in patch
    for unwanted in ("__pycache__", ".pytest_cache", "stray.pyc", "oec_editor_state",
                     "debug.log", ".git/"):
        assert unwanted not in patch


def test_diff_leaves_the_agents_git_state_alone(session: LocalSession):
    session.run("echo '# more' >> calc/ops.py; echo new > added.txt; git add added.txt")
    index = Path(session.workspace, ".git", "index")
    before = (session.run("git status --porcelain").output, index.read_bytes())
    assert session.diff()
    assert (session.run("git status --porcelain").output, index.read_bytes()) == before
    assert before[0] == "A  added.txt\n M calc/ops.py\n"


def test_diff_applies_to_a_fresh_export(session: LocalSession, repo, tmp_path: Path):
    session.run("sed -i 's/a - b  # bug/a + b/' calc/ops.py; rm calc/old.py; "
                "echo notes > NEW.md; printf '\\0\\1' > blob.bin")
    patch = session.diff()
    path, base = repo
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    export_commit(path, base, fresh, tmp_path)
    subprocess.run(["git", "init", "-q", str(fresh)], check=True)
    applied = subprocess.run(["git", "-C", str(fresh), "apply", "-"], input=patch.encode(),
                             capture_output=True, check=False)
    assert applied.returncode == 0, applied.stderr
    assert (fresh / "calc" / "ops.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert not (fresh / "calc" / "old.py").exists()
    assert (fresh / "blob.bin").read_bytes() == b"\0\1"
    # apply_patch() on a second session reproduces the same workspace.
    with LocalRuntime().start(make_task(path, base)) as other:
        assert other.apply_patch(patch).exit_code == 0
        assert other.diff() == patch
        assert "1 passed" in other.run("python -m pytest -q -p no:cacheprovider").output


def test_apply_patch_reports_failure(session: LocalSession):
    bad = "--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1,1 +1,1 @@\n-nothing like this\n+x\n"
    result = session.apply_patch(bad)
    assert result.exit_code != 0 and "patch" in result.output


def test_close_removes_everything_and_is_idempotent(repo):
    s = LocalRuntime().start(make_task(*repo))
    s.run("mkdir -p locked/inner && touch locked/inner/f && chmod 555 locked/inner locked")
    root = s.root
    assert root.exists()
    s.close()
    assert not root.exists()
    s.close()


def test_unsafe_mode_uses_the_host_path(repo, tmp_path: Path):
    with LocalRuntime(unsafe_no_sandbox=True).start(make_task(*repo)) as s:
        assert s.workdir == str(s.workspace)
        result = s.run("pwd; echo $OEC_EDITOR_STATE")
        assert result.output == f"{s.workspace}\n{s.workspace}/.git/oec_editor_state.json\n"
        s.run("echo hi > new.txt")
        assert "+hi" in s.diff()


def test_missing_commit_fails_cleanly(repo, tmp_path: Path):
    path, _ = repo
    with pytest.raises(RuntimeError, match="read-tree"):
        LocalRuntime().start(make_task(path, "0" * 40))


def test_refuses_without_a_sandbox(monkeypatch):
    from artifact.runtime import sandbox as sandbox_mod

    monkeypatch.setattr(sandbox_mod, "detect_mechanism", lambda: None)
    with pytest.raises(sandbox_mod.SandboxUnavailable, match="--unsafe-no-sandbox"):
        LocalRuntime()
    assert LocalRuntime(unsafe_no_sandbox=True).unsafe_no_sandbox

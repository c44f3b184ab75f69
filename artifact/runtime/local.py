"""The local runtime: each session is a fresh export of the task's base commit in a temp dir, run
through the OS sandbox (sandbox.py) at /testbed.

The workspace is a new git repository with ONE commit of the base tree (fixed author and date),
so the agent sees no history that could reveal the bug. The host keeps its own copy of that
repository (`<tmp>/base.git`, invisible inside): diff() and apply_patch() run host git against
it, never against the agent-writable `.git`, whose config (core.fsmonitor, filter drivers, ...)
could otherwise make host-side git run commands outside the sandbox.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Self

from artifact.runtime import sandbox
from artifact.runtime.base import CommandResult
from artifact.runtime.sandbox import (
    NO_MECHANISM,
    TOOLS_MOUNT,
    Sandbox,
    SandboxConfig,
    SandboxUnavailable,
)
from artifact.tasks.schema import Task

EXCLUDES = "__pycache__/\n.pytest_cache/\n*.pyc\n"
# One fixed identity and date: the workspace commit hash depends on the tree alone.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "oec", "GIT_AUTHOR_EMAIL": "oec@localhost",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+0000",
    "GIT_COMMITTER_NAME": "oec", "GIT_COMMITTER_EMAIL": "oec@localhost",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+0000",
}
# Host git must not pick up anything that makes it run programs or rewrite its output.
SAFE_GIT = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
            "-c", "core.quotePath=true", "-c", "color.ui=false"]


def _git(*args: str, env: dict[str, str] | None = None, input: bytes | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, **GIT_IDENTITY, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    proc = subprocess.run(["git", *SAFE_GIT, *args], env=full_env, input=input, cwd=cwd,
                          capture_output=True, check=False)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"git {' '.join(args)[:200]} failed: "
                           f"{message[-1] if message else proc.returncode}")
    return proc


def export_commit(repo: str | Path, commit: str, dest: Path, scratch: Path) -> None:
    """Write the files of `commit` (from a bare or normal repository) into `dest`, exactly as a
    checkout would (no `git archive` export-subst/export-ignore rewriting)."""
    index = {"GIT_INDEX_FILE": str(scratch / "export.index")}
    _git("-C", str(repo), "read-tree", commit, env=index)
    _git("-C", str(repo), "--work-tree", str(dest), "checkout-index", "-a", "-f", env=index)
    (scratch / "export.index").unlink()


def _force_remove(_func, path: str, _exc) -> None:
    # The agent may leave read-only directories behind (chmod 555): make them writable and retry.
    # Never chmod through a symlink: it could point at a host file.
    for p in (os.path.dirname(path), path):
        if os.path.isdir(p) and not os.path.islink(p):
            with contextlib.suppress(OSError):
                os.chmod(p, stat.S_IRWXU)
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


class LocalSession:
    """One task's workspace (see the module docstring); `workdir` is where commands start."""

    def __init__(self, root: Path, config: SandboxConfig, unsafe_no_sandbox: bool):
        self.root = root
        self.workspace = root / "ws"
        self.base_git = root / "base.git"
        self.sandbox = Sandbox(self.workspace, config, unsafe_no_sandbox=unsafe_no_sandbox)
        self.workdir = self.sandbox.workdir  # "/testbed", or the host path without a sandbox
        self.env = {"OEC_WORKDIR": self.workdir,
                    "OEC_EDITOR_STATE": f"{self.workdir}/.git/oec_editor_state.json"}
        self._closed = False

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        return self.sandbox.run(command, timeout=timeout, env=self.env)

    def _host_git(self, *args: str, env: dict[str, str] | None = None,
                  input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return _git(f"--git-dir={self.base_git}", f"--work-tree={self.workspace}", *args,
                    env=env, input=input, cwd=self.workspace)

    def diff(self) -> str:
        """The workspace against the base commit as a `git apply`-able patch: edits, deletions and
        new files (except ignored ones and caches). The agent's own index stays untouched."""
        index = {"GIT_INDEX_FILE": str(self.root / "diff.index")}
        try:
            self._host_git("read-tree", "HEAD", env=index)
            self._host_git("add", "-A", env=index)
            out = self._host_git("diff", "--cached", "--binary", "--no-color", "--no-ext-diff",
                                 "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/",
                                 "HEAD", env=index)
        finally:
            (self.root / "diff.index").unlink(missing_ok=True)
        # Patches travel as JSON strings: bytes that are not UTF-8 (a latin-1 source file) become
        # U+FFFD, which only matters if such a line is edited.
        return out.stdout.decode("utf-8", errors="replace")

    def apply_patch(self, patch: str) -> CommandResult:
        """`git apply` a patch to the workspace files (the index is left alone)."""
        data = patch.encode("utf-8")
        if data and not data.endswith(b"\n"):
            data += b"\n"  # a patch cut after its last line is still a valid patch
        proc = subprocess.run(["git", *SAFE_GIT, f"--git-dir={self.base_git}",
                               f"--work-tree={self.workspace}", "apply", "--whitespace=nowarn",
                               "-"], input=data, cwd=self.workspace, capture_output=True,
                              check=False)
        output = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")
        return CommandResult(output=output, exit_code=proc.returncode)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            shutil.rmtree(self.root, onerror=_force_remove)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalRuntime:
    """Starts sandboxed sessions on this machine (the tasks' `repo_path` must be local)."""

    def __init__(self, config: SandboxConfig | None = None, unsafe_no_sandbox: bool = False,
                 tools_dir: Path | None = None):
        config = config or SandboxConfig()
        if tools_dir is not None:
            binds = ((str(Path(tools_dir).resolve()), TOOLS_MOUNT),)
            config = dataclasses.replace(config, ro_binds=config.ro_binds + binds)
        self.config = config
        self.unsafe_no_sandbox = unsafe_no_sandbox
        if not unsafe_no_sandbox and sandbox.detect_mechanism() is None:
            raise SandboxUnavailable(NO_MECHANISM)  # fail before any task starts

    def start(self, task: Task) -> LocalSession:
        if not task.repo_path:
            raise ValueError(f"{task.instance_id}: the local runtime needs task.repo_path")
        root = Path(tempfile.mkdtemp(prefix="oec-session-"))
        try:
            prepare_workspace(task.repo_path, task.base_commit, root)
            return LocalSession(root, self.config, self.unsafe_no_sandbox)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise


def prepare_workspace(repo: str | Path, commit: str, root: Path) -> None:
    """<root>/ws: the files of `commit` in a one-commit repository; <root>/base.git: the host's
    private copy of that repository's git dir."""
    ws = root / "ws"
    ws.mkdir()
    export_commit(repo, commit, ws, root)
    _git("init", "-q", "-b", "main", str(ws))
    with (ws / ".git" / "config").open("a") as fh:  # an identity lets the agent `git stash`
        fh.write("[user]\n\tname = oec\n\temail = oec@localhost\n")
    # -f: files the commit tracks stay tracked even if its own .gitignore matches them.
    _git("-C", str(ws), "add", "-A", "-f")
    _git("-C", str(ws), "commit", "-q", "--no-verify", "--allow-empty", "-m", "Initial commit")
    (ws / ".git" / "info").mkdir(exist_ok=True)
    (ws / ".git" / "info" / "exclude").write_text(EXCLUDES)
    shutil.copytree(ws / ".git", root / "base.git", symlinks=True)

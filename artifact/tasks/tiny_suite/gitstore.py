"""The suite's bare git repositories: one clean commit per repository and one commit per task (the
clean tree with the bug injected), written with fixed dates so commit ids are reproducible."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

_IDENTITY = {
    "GIT_AUTHOR_NAME": "oec-suite", "GIT_AUTHOR_EMAIL": "suite@oec.invalid",
    "GIT_COMMITTER_NAME": "oec-suite", "GIT_COMMITTER_EMAIL": "suite@oec.invalid",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+0000", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+0000",
}
_STAMP = "oec-suite <suite@oec.invalid> 946684800 +0000"


def _git(git_dir: Path, *args: str, input: bytes | None = None, env: dict | None = None) -> str:
    full_env = {**os.environ, **_IDENTITY, **(env or {})}
    proc = subprocess.run(["git", f"--git-dir={git_dir}", *args], input=input, env=full_env,
                          capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:2])} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode()


def init_bare_repo(source: Path, bare: Path) -> str:
    """Create `bare` from the files of `source` (honouring its .gitignore); return the commit id."""
    if bare.exists():
        shutil.rmtree(bare)
    bare.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": str(source)}
        _git(bare, "add", "-A", env=env)
        tree = _git(bare, "write-tree", env=env).strip()
    commit = _git(bare, "commit-tree", tree, "-m", "clean repository").strip()
    _git(bare, "update-ref", "refs/heads/main", commit)
    return commit


def add_task_commits(bare: Path, clean: str, changes: list[tuple[str, str]]) -> list[str]:
    """One commit per (path, new content) on top of `clean`, in one fast-import run."""
    if not changes:
        return []
    chunks: list[bytes] = []
    for n, (path, content) in enumerate(changes, start=1):
        message = f"task {n}".encode()
        body = content.encode()
        chunks.append(
            f"commit refs/tasks/{n}\nmark :{n}\nauthor {_STAMP}\ncommitter {_STAMP}\n".encode()
            + f"data {len(message)}\n".encode() + message + b"\n"
            + f"from {clean}\nM 100644 inline {path}\ndata {len(body)}\n".encode() + body + b"\n\n"
        )
    with tempfile.TemporaryDirectory() as tmp:
        marks = Path(tmp) / "marks"
        _git(bare, "fast-import", "--quiet", f"--export-marks={marks}", input=b"".join(chunks))
        ids = dict(line.split() for line in marks.read_text().splitlines())
    return [ids[f":{n}"] for n in range(1, len(changes) + 1)]


def diff(bare: Path, old: str, new: str) -> str:
    return _git(bare, "diff", "--no-color", old, new)

"""The runtime protocol: where an agent's commands run. `local` (sandboxed checkout) and `docker`
implement it; the agent loop, tools, grading and tests only see these names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from artifact.tasks.schema import Task

# Every runtime shows the repository at this path, as SWE-bench images do.
WORKDIR = "/testbed"


class RuntimeUnavailable(RuntimeError):
    """The runtime cannot start on this machine (no sandbox mechanism, no docker engine, ...)."""


@dataclass
class CommandResult:
    output: str  # stdout and stderr interleaved, truncated to the output cap with a marker
    exit_code: int  # -1 when killed by the timeout
    timed_out: bool = False
    truncated: bool = False
    seconds: float = 0.0


class Session(Protocol):
    workdir: str

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run a bash command in the workspace root (a fresh shell each time)."""

    def apply_patch(self, patch: str) -> CommandResult:
        """Apply a unified diff (`git apply`) to the workspace; exit_code != 0 when it fails."""

    def diff(self) -> str:
        """The patch of the workspace against the base commit, untracked files included."""

    def close(self) -> None:
        """Remove everything the session created."""


class Runtime(Protocol):
    def start(self, task: Task) -> Session: ...

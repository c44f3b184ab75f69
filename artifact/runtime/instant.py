"""A runtime that runs nothing: every command "succeeds" at once with a fixed output. It lets the
agent loop and the generation machinery be measured and tested without a sandbox or a container."""

from __future__ import annotations

from artifact.runtime.base import WORKDIR, CommandResult
from artifact.tasks.schema import Task


class InstantSession:
    workdir = WORKDIR

    def __init__(self, output: str | None = None, patch: str = "diff --git a/x.py b/x.py\n"):
        self.output, self.patch = output, patch
        self.commands: list[str] = []

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        self.commands.append(command)
        return CommandResult(f"ran {command}\n" if self.output is None else self.output, 0, seconds=0.0)

    def apply_patch(self, patch: str) -> CommandResult:
        return CommandResult("", 0)

    def diff(self) -> str:
        return self.patch

    def close(self) -> None:
        pass


class InstantRuntime:
    def __init__(self, output: str | None = None):
        self.output = output

    def start(self, task: Task) -> InstantSession:
        return InstantSession(self.output)

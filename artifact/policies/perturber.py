"""A damaging stand-in student for `oec evaluate --perturb`: a few seeded random tool calls that
leave the workspace in a bad state (wrong edits near the bug and elsewhere, deleted lines, stray
files, staged junk, a deleted test file). Followed by the expert through SwitchingPolicy, it tests
recovery from the states real students leave. Every call after the first changes the workspace."""

from __future__ import annotations

import random
import re
import shlex

from artifact.agent.actions import format_call
from artifact.policies.base import STUDENT, Reply
from artifact.tasks.patches import parse_patch
from artifact.tasks.schema import Task

_WC_LINE = re.compile(r"^\s*(\d+)\s+(\S+\.py)$")


class Perturber:
    name = "perturber"

    def __init__(self, task: Task, seed: int = 0, workdir: str = "/testbed"):
        self.task, self.workdir = task, workdir
        self.rng = random.Random(f"perturber:{task.instance_id}:{seed}")
        self.lengths: dict[str, int] = {}
        self.calls = 0
        patch = parse_patch(task.patch)
        self.near_bug = [(f.path, h.old_start) for f in patch for h in f.hunks]

    def act(self, messages: list[dict]) -> Reply:
        if self.calls == 0:
            text = format_call("bash", "Count the lines of the python files.",
                               command="wc -l $(git ls-files '*.py')")
        else:
            if not self.lengths and messages:
                for line in messages[-1]["content"].splitlines():
                    if m := _WC_LINE.match(line):
                        self.lengths[m.group(2)] = int(m.group(1))
            text = self._damage()
        self.calls += 1
        return Reply(text=text, author=STUDENT, model=self.name)

    def _target(self) -> tuple[str, int]:
        """A (file, line) to damage: near the bug half of the time, else anywhere."""
        rng = self.rng
        if self.near_bug and (rng.random() < 0.5 or not self.lengths):
            path, start = rng.choice(self.near_bug)
            return path, start + rng.randint(0, 4)
        path = rng.choice(sorted(self.lengths))
        return path, rng.randint(1, max(1, self.lengths[path]))

    def _damage(self) -> str:
        rng = self.rng
        path, line = self._target()
        quoted = shlex.quote(path)
        choice = rng.randrange(7)
        if choice == 0:
            return format_call("bash", "Remove this line.", command=f"sed -i '{line}d' {quoted}")
        if choice == 1:
            return format_call("bash", "Patch this line.", command=f"sed -i '{line}s/$/  # fix?/' {quoted}")
        if choice == 2:
            return format_call("bash", "Try a different comparison.",
                               command=f"sed -i '{line}s/ [<>=!]=* / == /; {line}s/$/ /' {quoted}")
        if choice == 3:
            return format_call("str_replace_editor", "Write a reproduction script.", command="create",
                               path=f"{self.workdir}/reproduce_{rng.randint(0, 99)}.py",
                               file_text="print('reproducing the issue')\n")
        if choice == 4:
            return format_call("bash", "Take notes.", command="mkdir -p scratch && echo notes > scratch/notes.txt")
        if choice == 5:
            return format_call("bash", "Stage a work-in-progress change.",
                               command=f"echo '# wip' >> {quoted} && git add -A")
        tests = sorted(p for p in self.lengths if p.startswith("tests/")) or ["tests"]
        return format_call("bash", "These tests look wrong.", command=f"rm -rf {shlex.quote(rng.choice(tests))}")

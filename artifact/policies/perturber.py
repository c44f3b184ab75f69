"""A damaging stand-in student for `oec evaluate --perturb`: a few seeded random tool calls that
leave the workspace in a bad state (wrong edits, deleted lines, stray files, staged junk). Followed
by the expert through SwitchingPolicy, it tests recovery from the states real students leave."""

from __future__ import annotations

import random
import shlex

from artifact.agent.actions import format_call
from artifact.policies.base import STUDENT, Reply
from artifact.tasks.schema import Task


class Perturber:
    name = "perturber"

    def __init__(self, task: Task, seed: int = 0, workdir: str = "/testbed"):
        self.task, self.workdir = task, workdir
        self.rng = random.Random(f"perturber:{task.instance_id}:{seed}")
        self.files: list[str] = []
        self.calls = 0

    def act(self, messages: list[dict]) -> Reply:
        if self.calls == 0:
            text = format_call("bash", "List the python files.",
                               command="find . -name '*.py' -not -path './.git/*' | sort")
        else:
            if not self.files and messages:
                self.files = [line[2:] for line in messages[-1]["content"].splitlines()
                              if line.startswith("./") and line.endswith(".py")]
            text = self._damage()
        self.calls += 1
        return Reply(text=text, author=STUDENT, model=self.name)

    def _damage(self) -> str:
        rng = self.rng
        gold = self.task.gold_files
        files = self.files or gold or ["README.md"]
        target = shlex.quote(rng.choice(gold if gold and rng.random() < 0.5 else files))
        line = rng.randint(1, 30)
        choice = rng.randrange(7)
        if choice == 0:
            return format_call("bash", "Change this comparison.", command=f"sed -i '{line}s/</>/' {target}")
        if choice == 1:
            return format_call("bash", "Remove this line.", command=f"sed -i '{line}d' {target}")
        if choice == 2:
            return format_call("bash", "Try another operator.", command=f"sed -i '{line}s/+/-/' {target}")
        if choice == 3:
            return format_call("str_replace_editor", "Write a reproduction script.", command="create",
                               path=f"{self.workdir}/reproduce_{rng.randint(0, 99)}.py",
                               file_text="print('reproducing the issue')\n")
        if choice == 4:
            return format_call("bash", "Take notes.", command="mkdir -p scratch && echo notes > scratch/notes.txt")
        if choice == 5:
            return format_call("bash", "Stage everything.", command=f"echo '# wip' >> {target} && git add -A")
        return format_call("bash", "Look at the file.", command=f"head -n {line} {target}")

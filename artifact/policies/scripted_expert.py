"""A privileged scripted expert: it knows the gold patch and acts only through the tools, in the
same XML format as any model, one short thought per step. It first checks the workspace and undoes
anything found changed, then explores (seeded variation), edits the buggy lines with str_replace,
runs the failing tests and submits. Taking over from a student, it continues from the student's
state instead (expert_takeover.py)."""

from __future__ import annotations

import random
import re
import shlex
from collections.abc import Generator

from artifact.agent.actions import format_call
from artifact.policies.base import EXPERT, Reply
from artifact.runtime.base import WORKDIR
from artifact.tasks.patches import MAX_CONTEXT, Hunk, minimal_edit, parse_patch
from artifact.tasks.schema import Task

Step = Generator[str, str, None]  # yields reply texts, receives the observation that followed

_PHRASES = {
    "status": ["First, check the state of the working tree.", "Let me see whether anything in the repository was already changed.",
               "Check git status before touching anything."],
    "restore": ["Some files were changed or added before; restore them so I start from a clean tree.",
                "Undo the earlier modifications and remove stray files."],
    "locate": ["Find where the relevant code lives.", "Search the source for the function named in the issue.",
               "Locate the code involved in the failing behaviour."],
    "view": ["Read the code around the suspicious logic.", "Open the relevant part of the file.",
             "Look at the implementation."],
    "reproduce": ["Reproduce the failure first.", "Run the failing test to see the error."],
    "suggested": ["The issue shows the faulty code and its fix; apply it.",
                  "The reporter's suggested fix matches the failure; apply it."],
    "edit": ["This line is wrong; fix it.", "Correct the faulty logic here.", "Apply the fix to this code."],
    "verify": ["Rerun the failing tests to confirm the fix.", "Check that the tests pass now."],
    "submit": ["The fix works; submit.", "Tests pass, so I am done."],
}


def _last_observation(messages: list[dict]) -> str:
    if messages and messages[-1]["role"] == "user" and len(messages) > 2:
        return messages[-1]["content"]
    return ""


class ScriptedExpert:
    def __init__(self, task: Task, seed: int = 0, workdir: str = WORKDIR):
        self.task, self.workdir = task, workdir
        self.rng = random.Random(f"scripted-expert:{task.instance_id}:{seed}")
        self.name = "scripted-expert"
        self.files = parse_patch(task.patch)
        self._script: Step | None = None

    def act(self, messages: list[dict]) -> Reply:
        observation = _last_observation(messages)
        try:
            if self._script is None:
                self._script = self._steps()
                text = next(self._script)
            else:
                text = self._script.send(observation)
        except StopIteration:
            text = self._say("submit", "submit")
        return Reply(text=text, author=EXPERT, model=self.name)

    # -- the script ------------------------------------------------------------------------
    def _say(self, phrase: str, tool: str, **arguments: str) -> str:
        return format_call(tool, self.rng.choice(_PHRASES[phrase]), **arguments)

    def _bash(self, phrase: str, command: str) -> str:
        return self._say(phrase, "bash", command=command)

    def _path(self, relative: str) -> str:
        return f"{self.workdir}/{relative}"

    def _steps(self) -> Step:
        status = yield self._bash("status", "git status --short --untracked-files=all")
        yield from self._restore(status)
        # An issue that suggests the fix (path, faulty code, corrected code) needs no search: the
        # expert's str_replace is exactly the suggestion (tasks/tiny_suite/build.py), so every
        # argument of the edit can be copied from the issue.
        suggested = bool(self.task.meta.get("suggested_fix"))
        if not suggested:
            yield from self._explore()
        yield from self._fix([(file.path, hunk) for file in self.files for hunk in file.hunks], suggested)

    def _fix(self, edits: list[tuple[str, Hunk]], suggested: bool) -> Step:
        """Apply the edits still to do, rerun the failing tests, submit."""
        for path, hunk in edits:
            yield from self._edit(path, hunk, "suggested" if suggested else "edit")
        tests = " ".join(shlex.quote(t) for t in self.task.FAIL_TO_PASS)
        yield self._bash("verify", f"python -m pytest -q {tests}")
        yield self._say("submit", "submit")

    def _restore(self, status: str) -> Step:
        tracked, untracked, _ = parse_status(status)  # `git reset` below unstages in any case
        if not tracked and not untracked:
            return
        if tracked and self.rng.random() < 0.5:
            yield self._bash("status", "git diff")  # look at what was changed before undoing it
        parts = ["git reset -q"]
        if tracked:
            parts.append("git checkout -q -- " + " ".join(map(shlex.quote, tracked)))
        if untracked:
            parts.append("rm -rf -- " + " ".join(map(shlex.quote, untracked)))
        yield self._bash("restore", " && ".join(parts))

    def _explore(self) -> Step:
        # Every argument is copied from what the tools showed: the search term from the issue's
        # function, the view's start line from the grep hit (to the end of the file, -1: a window
        # `hit + 20` would ask a small student for arithmetic). A privileged expert that viewed
        # the lines around the gold hunk directly would teach its students to guess numbers they
        # cannot know (seen in BC students' evaluations: they viewed and edited another function).
        first = self.files[0]
        hunk = first.hunks[0]
        if self.rng.random() < 0.3:  # sometimes look around first
            yield self.rng.choice([
                self._bash("locate", "find . -name '*.py' -not -path './.git/*' | sort"),
                self._say("locate", "str_replace_editor", command="view", path=self.workdir),
            ])
        reproduce = self.rng.random() < 0.6
        tests = " ".join(shlex.quote(t) for t in self.task.FAIL_TO_PASS[:2])
        if reproduce and self.rng.random() < 0.5:
            yield self._bash("reproduce", f"python -m pytest -q {tests}")
            reproduce = False
        found = yield self._bash("locate", f"grep -rn {shlex.quote(self._search_term(hunk))} --include=*.py .")
        if reproduce:
            yield self._bash("reproduce", f"python -m pytest -q {tests}")
        yield self._view(first.path, hunk, grep_hit_line(found, first.path))

    def _view(self, path: str, hunk: Hunk, hit: int | None) -> str:
        if hit is not None and hit <= hunk.old_start + 3:  # from the definition to the end of the
            # file: both ends are copied, none computed
            return self._say("view", "str_replace_editor", command="view", path=self._path(path),
                             view_range=f"[{hit}, -1]")
        # no usable hit, or the bug lies above it: read the whole file
        return self._say("view", "str_replace_editor", command="view", path=self._path(path))

    def _search_term(self, hunk: Hunk) -> str:
        function = self.task.meta.get("function")
        if function:
            return "def " + function.split(".")[-1] + "("
        for line in hunk.removed or hunk.old_lines:
            words = re.findall(r"[A-Za-z_]\w{2,}", line)
            if words:
                return words[0]
        return hunk.old_lines[0].strip() or "def "

    def _edit(self, path: str, hunk: Hunk, phrase: str = "edit") -> Step:
        # The smallest edit first (only the changed lines), widened by one line of context on
        # each side whenever the editor finds old_str more than once. Short edits are what a
        # careful engineer writes, and what a small student can learn to copy.
        for context in range(MAX_CONTEXT + 1):
            old, new = minimal_edit(hunk, context)
            # Values on their own lines, as LLM experts write this XML format (the parser strips
            # one newline each side): a copied line then ends in the same tokens as in the view.
            arguments = {"command": "str_replace", "path": self._path(path), "old_str": f"\n{old}\n",
                         "new_str": f"\n{new}\n"}
            result = yield self._say(phrase, "str_replace_editor", **arguments)
            if (_UNCHANGED in result and "did not appear verbatim" in result) or "does not exist" in result:
                # The file is not in the state the patch expects: reset it and edit again.
                yield self._bash("restore", f"git checkout -q -- {shlex.quote(path)}")
                result = yield self._say("edit", "str_replace_editor", **arguments)
            if "Multiple occurrences" not in result:
                return


_UNCHANGED = "No replacement was performed"


def parse_status(status: str) -> tuple[list[str], list[str], bool]:
    """(tracked paths changed, untracked paths, anything staged) from `git status --short`."""
    tracked, untracked, staged = [], [], False
    for line in status.splitlines():
        if len(line) < 4 or line.startswith("OBSERVATION") or line[2] != " ":
            continue
        code, path = line[:2], line[3:].strip()
        staged |= code[0] not in " ?"
        if " -> " in path:  # a rename: restore the old name, drop the new one
            old, new = path.split(" -> ", 1)
            tracked.append(old)
            untracked.append(new)
        elif code == "??" or code.strip() == "A":
            untracked.append(path)
        else:
            tracked.append(path)
    return tracked, untracked, staged


def grep_hit_line(output: str, path: str) -> int | None:
    """The line number of the first `grep -rn` hit in `path` (repository-relative), if any."""
    match = re.search(rf"^(?:\./)?{re.escape(path)}:(\d+):", output, flags=re.MULTILINE)
    return int(match.group(1)) if match else None

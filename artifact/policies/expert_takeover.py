"""The scripted expert taking over from a student (OEC, DAgger, `--perturb`): it continues from
what the conversation shows instead of starting its script over.

Measured in the fifth tiny run: an expert that checked `git status`, reset and re-explored at
every takeover taught its OEC students to start over, and they looped (40 of 45 unresolved
evaluations; docs/tiny-scale.md). An expert worth imitating after a student's turns keeps what the student got right:

- the workspace: read-only student actions (grep, view, pytest, git status, ...) and edits the
  editor refused leave it clean, so the expert does not check it; after any action that may have
  written, it looks (`git status`, then `git diff HEAD`) and restores only the files whose changes
  are not part of the fix, keeping the student's correct edits;
- the exploration: if a visible observation already shows the code it will edit, it edits at
  once; if a visible grep hit shows where the function starts, it views from there;
- the tests: a student who already ran them is not made to reproduce the failure again.

Only what the model view shows counts (elided observations do not), so every argument the
expert writes can be copied from the student's own context. With no student turns the expert is
exactly the from-scratch script (scripted_expert.py): BC rollouts are unchanged."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from artifact.agent.actions import FormatError, ToolCall, format_call, parse_action
from artifact.agent.prompts import ELIDED_OBSERVATION
from artifact.policies.base import Reply
from artifact.policies.scripted_expert import ScriptedExpert, Step, grep_hit_line, parse_status
from artifact.tasks.patches import Hunk, minimal_edit, parse_patch

_ELIDED_PREFIX = ELIDED_OBSERVATION.split("{")[0]
# Bash commands that only read: each piece of a pipeline or command list must start with one.
_READS = re.compile(r"^(?:cd|ls|pwd|cat|head|tail|wc|nl|grep|egrep|find|tree|echo|sed -n|"
                    r"(?:python3? -m )?pytest|git (?:status|diff|log|show|grep|ls-files))\b")
_WRITES = re.compile(r"-delete\b|-exec\b|\s-i\b|--in-place")
_HARMLESS_REDIRECT = re.compile(r"\d?>\s*(?:&\d|/dev/null)")
_NUMBERED_LINE = re.compile(r"^ *\d+\t", flags=re.MULTILINE)
# What str_replace_editor prints when a write succeeded; anything else is a refusal (no such
# path, old_str not found or not unique, ...) that left the file as it was.
_EDITOR_WROTE = re.compile(r"has been edited|File created successfully|undone successfully")

_THOUGHTS = {
    "look": ["Check what has been changed in the repository so far.",
             "See which files were modified before going on."],
    "diff": ["Look at the changes to see which of them are right.",
             "Read the current diff before deciding what to keep."],
    "restore": ["Undo the changes that are not part of the fix; keep the correct ones.",
                "Revert the wrong modifications and remove stray files."],
}


@dataclass
class StudentState:
    """What the visible conversation tells about the workspace when the expert takes over."""

    may_have_written: bool = False
    ran_tests: bool = False
    shown: list[tuple[ToolCall, str]] = field(default_factory=list)  # visible (call, observation)


def read_student_state(messages: list[dict]) -> StudentState:
    state = StudentState()
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        try:
            call = parse_action(message["content"])
        except FormatError:
            continue  # nothing ran
        following = messages[i + 1]["content"] if i + 1 < len(messages) else ""
        visible = bool(following) and not following.startswith(_ELIDED_PREFIX)
        refused = call.name == "str_replace_editor" and visible and not _EDITOR_WROTE.search(following)
        # A refused edit the context still shows changed nothing: no need to check the tree
        # (sixth tiny run's OEC pool: 33 of its 59 checks at takeover followed only refused edits).
        state.may_have_written |= may_write(call) and not refused
        if call.name == "bash" and "pytest" in call.arguments["command"]:
            state.ran_tests = True
        if visible:
            state.shown.append((call, following))
    return state


def may_write(call: ToolCall) -> bool:
    """Whether a tool call may have changed the workspace (unknown commands: yes)."""
    if call.name == "submit":
        return False
    if call.name == "str_replace_editor":
        return call.arguments.get("command") != "view"
    command = _HARMLESS_REDIRECT.sub("", call.arguments["command"])
    if ">" in command or _WRITES.search(command):
        return True
    pieces = re.split(r"&&|\|\||;|\|", command)
    return not all(_READS.match(piece.strip()) for piece in pieces if piece.strip())


def change_of(hunk: Hunk) -> tuple[str, str]:
    """A hunk's changed lines without context: equal for equal edits whatever git's context."""
    return minimal_edit(hunk, 0)


def correct_files(diff: str, gold: dict[str, list[Hunk]]) -> dict[str, set[int]]:
    """Files of `diff` whose every hunk is one of the gold patch's hunks, with the indices of
    the gold hunks already applied. A truncated or unreadable diff keeps nothing (fail closed)."""
    if "[output truncated" in diff:
        return {}
    kept: dict[str, set[int]] = {}
    for file in parse_patch(diff):
        changes = [change_of(h) for h in gold.get(file.path, [])]
        done = {changes.index(change_of(h)) for h in file.hunks if change_of(h) in changes}
        if file.hunks and len(done) == len(file.hunks):
            kept[file.path] = done
    return kept


def shows_code(state: StudentState, path: str, old: str) -> bool:
    """Whether a visible observation of `path` shows the text `old` (line numbers dropped)."""
    for call, observation in state.shown:
        if path in " ".join(call.arguments.values()) and old in _NUMBERED_LINE.sub("", observation):
            return True
    return False


class ContinuingExpert(ScriptedExpert):
    """The scripted expert, continuing from a student's turns when there are any."""

    _history: list[dict] | None = None

    def act(self, messages: list[dict]) -> Reply:
        if self._script is None:
            self._history = messages  # the conversation at takeover
        return super().act(messages)

    def _steps(self) -> Step:
        history = self._history or []
        if not any(m["role"] == "assistant" for m in history):
            yield from super()._steps()
            return
        state = read_student_state(history)
        gold = {f.path: f.hunks for f in self.files}
        done: dict[str, set[int]] = {}
        if state.may_have_written:
            done = yield from self._keep_correct_changes(gold)
        todo = [(path, hunk) for path, hunks in gold.items() for i, hunk in enumerate(hunks)
                if i not in done.get(path, set())]
        suggested = bool(self.task.meta.get("suggested_fix"))
        if todo and not suggested and not all(shows_code(state, self._path(p), change_of(h)[0])
                                              for p, h in todo):
            yield from self._explore_after(state)
        yield from self._fix(todo, suggested)

    def _speak(self, kind: str, tool: str, **arguments: str) -> str:
        return format_call(tool, self.rng.choice(_THOUGHTS[kind]), **arguments)

    def _keep_correct_changes(self, gold: dict[str, list[Hunk]]):
        status = yield self._speak("look", "bash", command="git status --short --untracked-files=all")
        tracked, untracked, staged = parse_status(status)
        kept: dict[str, set[int]] = {}
        if tracked:
            diff = yield self._speak("diff", "bash", command="git diff HEAD")
            kept = correct_files(diff, gold)
        wrong = [path for path in tracked if path not in kept]
        if wrong or untracked or staged:
            parts = ["git reset -q"] if staged else []
            if wrong:
                parts.append("git checkout -q -- " + " ".join(map(shlex.quote, wrong)))
            if untracked:
                parts.append("rm -rf -- " + " ".join(map(shlex.quote, untracked)))
            yield self._speak("restore", "bash", command=" && ".join(parts))
        return kept

    def _explore_after(self, state: StudentState) -> Step:
        """Read the code to edit, reusing a grep hit the student's context still shows."""
        first = self.files[0]
        hunk = first.hunks[0]
        hit = None
        for call, observation in state.shown:
            if call.name == "bash" and call.arguments["command"].lstrip().startswith("grep"):
                hit = grep_hit_line(observation, first.path) or hit
        if hit is None:
            if not state.ran_tests and self.rng.random() < 0.3:
                tests = " ".join(shlex.quote(t) for t in self.task.FAIL_TO_PASS[:2])
                yield self._bash("reproduce", f"python -m pytest -q {tests}")
            found = yield self._bash("locate", f"grep -rn {shlex.quote(self._search_term(hunk))} --include=*.py .")
            hit = grep_hit_line(found, first.path)
        yield self._view(first.path, hunk, hit)

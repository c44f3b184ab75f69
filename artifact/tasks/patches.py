"""Reading unified diffs (gold patches) into per-file hunks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Hunk:
    old_start: int
    old_lines: list[str] = field(default_factory=list)  # context and removed lines
    new_lines: list[str] = field(default_factory=list)  # context and added lines

    @property
    def old_text(self) -> str:
        return "\n".join(self.old_lines)

    @property
    def new_text(self) -> str:
        return "\n".join(self.new_lines)

    @property
    def removed(self) -> list[str]:
        return [line for line in self.old_lines if line not in self.new_lines]


@dataclass
class FilePatch:
    path: str
    hunks: list[Hunk] = field(default_factory=list)


def parse_patch(patch: str) -> list[FilePatch]:
    files: list[FilePatch] = []
    hunk: Hunk | None = None
    for line in patch.splitlines():
        if line.startswith("+++ "):
            path = line[4:].strip()
            files.append(FilePatch(path.removeprefix("b/")))
            hunk = None
        elif line.startswith(("--- ", "diff --git", "index ")):
            hunk = None
        elif (m := _HUNK.match(line)) and files:
            hunk = Hunk(int(m.group(1)))
            files[-1].hunks.append(hunk)
        elif hunk is not None and line.startswith((" ", "-", "+")):
            body = line[1:]
            if line[0] in " -":
                hunk.old_lines.append(body)
            if line[0] in " +":
                hunk.new_lines.append(body)
        elif hunk is not None and line == "":
            hunk.old_lines.append("")
            hunk.new_lines.append("")
    return files


MAX_CONTEXT = 3  # git's hunks carry 3 lines of context: the widest edit is the whole hunk


def minimal_edit(hunk: Hunk, context: int = 0) -> tuple[str, str]:
    """(old_str, new_str) covering the hunk's changed lines plus `context` lines on each side;
    a pure insertion is anchored on the line before it (or after it, at the top)."""
    old, new = hunk.old_lines, hunk.new_lines
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    lo = max(0, head - context)
    keep_tail = max(0, tail - context)
    hi_old, hi_new = len(old) - keep_tail, len(new) - keep_tail
    if lo == hi_old:  # nothing removed: the added lines need an anchor
        if lo > 0:
            lo -= 1
        else:
            hi_old, hi_new = hi_old + 1, hi_new + 1
    return "\n".join(old[lo:hi_old]), "\n".join(new[lo:hi_new])


def unique_edit(hunk: Hunk, source: str) -> tuple[str, str] | None:
    """The smallest `minimal_edit` whose old side occurs exactly once in `source`: the
    `str_replace` the scripted expert ends up applying (it widens on "Multiple occurrences")."""
    for context in range(MAX_CONTEXT + 1):
        old, new = minimal_edit(hunk, context)
        if _occurrences(source, old) == 1:
            return old, new
    return None


def _occurrences(text: str, part: str) -> int:
    """Overlapping occurrences, as the editor counts them."""
    count, start = 0, text.find(part)
    while start != -1:
        count, start = count + 1, text.find(part, start + 1)
    return count

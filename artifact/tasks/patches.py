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

"""Host side of the `str_replace_editor` tool.

The tool itself is a standalone script (`bin/str_replace_editor`, standard library only) that
is copied into the agent's sandbox or container and put on its PATH. The agent emits a tool
call with parsed parameters; `editor_command` turns them into the bash command line that runs
the script there, every value shell-quoted so that multi-line text, quotes, `$VARS` and
backslashes reach the script unchanged.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

EDITOR_SCRIPT: Path = Path(__file__).resolve().parent / "bin" / "str_replace_editor"
EDITOR_NAME = "str_replace_editor"

COMMANDS = ("view", "create", "str_replace", "insert", "undo_edit")
# The parameters each command uses; others the agent may send along are dropped.
_COMMAND_PARAMETERS: dict[str, tuple[str, ...]] = {
    "view": ("view_range",),
    "create": ("file_text",),
    "str_replace": ("old_str", "new_str"),
    "insert": ("insert_line", "new_str"),
    "undo_edit": (),
}
_INTEGER = re.compile(r"[+-]?\d+")


def parse_view_range(value: Any) -> tuple[int, int]:
    """`[10, 20]`, `10 20`, `10,20`, `(10, -1)` or a two-item list -> (10, 20)."""
    if isinstance(value, (list, tuple)):
        items = [str(item) for item in value]
    else:
        text = str(value).strip()
        # Accept only integers separated by brackets, commas and whitespace.
        if re.fullmatch(r"[\[\(\s]*[+-]?\d+[\s,]+[+-]?\d+[\]\)\s]*", text):
            items = _INTEGER.findall(text)
        else:
            items = []
    if len(items) != 2 or not all(_INTEGER.fullmatch(item.strip()) for item in items):
        raise ValueError(
            f"Invalid view_range {value!r} for str_replace_editor: expected two integers "
            "such as [10, 20] (use -1 as the end for the end of the file)"
        )
    return int(items[0]), int(items[1])


def _option(name: str, value: str) -> str:
    # `--name=value` keeps argparse from taking a value that starts with "-" for an option.
    if value.startswith("-"):
        return shlex.quote(f"--{name}={value}")
    return f"--{name} {shlex.quote(value)}"


def editor_command(arguments: Mapping[str, Any]) -> str:
    """The bash command line for one `str_replace_editor` tool call, e.g.
    `str_replace_editor view /testbed/x.py --view_range 10 20`."""
    command = arguments.get("command")
    if command is None or not str(command).strip():
        raise ValueError("str_replace_editor call is missing the required parameter `command`")
    command = str(command).strip()
    if command not in _COMMAND_PARAMETERS:
        raise ValueError(
            f"Unknown str_replace_editor command {command!r}; expected one of: "
            + ", ".join(COMMANDS)
        )
    path = arguments.get("path")
    if path is None or not str(path).strip():
        raise ValueError("str_replace_editor call is missing the required parameter `path`")
    path = str(path).strip()

    options: list[str] = []
    for name in _COMMAND_PARAMETERS[command]:
        value = arguments.get(name)
        if value is None:
            continue
        if name == "view_range":
            if isinstance(value, str) and not value.strip():
                continue
            start, end = parse_view_range(value)
            options.append(f"--view_range {start} {end}")
        elif name == "insert_line":
            options.append(_option(name, str(value).strip()))
        else:
            options.append(_option(name, str(value)))

    if path.startswith("-"):
        # Not an absolute path anyway; `--` lets the script report that instead of a usage error.
        parts = [EDITOR_NAME, *options, "--", shlex.quote(command), shlex.quote(path)]
    else:
        parts = [EDITOR_NAME, shlex.quote(command), shlex.quote(path), *options]
    return " ".join(parts)

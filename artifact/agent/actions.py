"""Parse the model's reply into exactly one tool call, in SWE-agent's XML function-call format:

    reasoning text ...
    <function=bash>
    <parameter=command>ls</parameter>
    </function>
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from artifact.tools.editor import editor_command

TOOLS: dict[str, tuple[set[str], set[str]]] = {
    # name: (required parameters, optional parameters)
    "bash": ({"command"}, set()),
    "str_replace_editor": (
        {"command", "path"},
        {"file_text", "view_range", "old_str", "new_str", "insert_line"},
    ),
    "submit": (set(), set()),
}

_FUNCTION = re.compile(r"<function=([\w.-]+)>(.*?)</function>", re.DOTALL)
_PARAMETER = re.compile(r"<parameter=([\w.-]+)>(.*?)</parameter>", re.DOTALL)
_OPENING = re.compile(r"<function=")
_SPACE = re.compile(r"\s+")


class FormatError(ValueError):
    """The reply holds no valid tool call; the message is shown to the model."""


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, str] = field(default_factory=dict)
    thought: str = ""


def _strip_one_newline(value: str) -> str:
    # The format puts values on their own lines; one leading/trailing newline is layout, not data.
    value = value.removeprefix("\n")
    value = value.removesuffix("\n")
    return value


def parse_action(reply: str) -> ToolCall:
    calls = list(_FUNCTION.finditer(reply))
    if not calls:
        if _OPENING.search(reply):
            raise FormatError("Your function call is not closed: end it with </function>.")
        raise FormatError("Your reply contains no function call.")
    if len(calls) > 1:
        raise FormatError(f"Your reply contains {len(calls)} function calls; make exactly one per reply.")
    match = calls[0]
    name, body = match.group(1), match.group(2)
    if name not in TOOLS:
        raise FormatError(f"Unknown function {name!r}; available: {', '.join(TOOLS)}.")
    arguments = {p.group(1): _strip_one_newline(p.group(2)) for p in _PARAMETER.finditer(body)}
    required, optional = TOOLS[name]
    missing = sorted(required - arguments.keys())
    if missing:
        raise FormatError(f"Function {name} is missing required parameter(s): {', '.join(missing)}.")
    unknown = sorted(arguments.keys() - required - optional)
    if unknown:
        raise FormatError(f"Function {name} got unknown parameter(s): {', '.join(unknown)}.")
    return ToolCall(name, arguments, thought=reply[: match.start()].strip())


def to_command(call: ToolCall) -> str:
    """The bash command line a (non-submit) tool call runs in the workspace."""
    if call.name == "bash":
        return call.arguments["command"]
    if call.name == "str_replace_editor":
        try:
            return editor_command(call.arguments)
        except ValueError as exc:
            raise FormatError(str(exc)) from None
    raise ValueError(f"{call.name} does not run a command")


def format_call(name: str, thought: str = "", **arguments: str) -> str:
    """Render a reply in the format parse_action reads (used by scripted policies and tests)."""
    params = "".join(f"<parameter={k}>{v}</parameter>\n" for k, v in arguments.items())
    head = f"{thought}\n\n" if thought else ""
    return f"{head}<function={name}>\n{params}</function>"


def normalize_action(reply: str) -> str:
    """The identity of an action: tool name + arguments (sorted, whitespace-collapsed). The
    reasoning text is ignored, so a reworded thought before the same command is still a repeat.
    A reply that does not parse counts as an action identified by its whitespace-collapsed text."""
    try:
        call = parse_action(reply)
    except FormatError:
        return "raw:" + _SPACE.sub(" ", reply).strip()
    args = ";".join(f"{k}={_SPACE.sub(' ', v).strip()}" for k, v in sorted(call.arguments.items()))
    return f"{call.name}({args})"

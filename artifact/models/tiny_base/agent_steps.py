"""Exercises for the steps of the scripted expert's procedure, grounded in what the agent was
shown: the function an issue names into the first search (`issue_search_call`), the search's hit
into the view (`grep_view_call`), and the view into the fix (`repair_call`). The copy and edit
exercises they build on live in exercises.py."""

from __future__ import annotations

import random
import re

from artifact.agent.actions import format_call
from artifact.agent.prompts import observation_message
from artifact.models.tiny_base.exercises import (
    SHORT_SYSTEM,
    WORKDIR,
    Doc,
    cat_n,
    chat,
    grep_defs,
    grep_output,
    one_token_edit,
    thought,
)
from artifact.models.tiny_base.sources import random_identifier, random_word
from artifact.tasks.tiny_suite.statements import SUGGESTIONS

_ISSUE_TITLES = ("`{call}` gives a wrong result", "Wrong result from `{call}`", "Unexpected behaviour of `{call}`",
                 "`{test}` fails")
_ISSUE_OPENINGS = ("The test `{path}::{test}` fails on the current code:",
                   "After the latest changes `{path}::{test}` no longer passes:",
                   "I ran the test suite and `{path}::{test}` fails:")
_SEARCH_THOUGHTS = ("Search the source for the function named in the issue.", "Find where the relevant code lives.",
                    "Locate the code involved in the failing behaviour.")


def search_command(name: str) -> str:
    """The scripted expert's first search, for the function `name`."""
    return f"grep -rn 'def {name}(' --include=*.py ."


def _random_value(rng: random.Random) -> str:
    return rng.choice([str(rng.randint(-20, 99)), f"{rng.randint(0, 99)}.{rng.randint(0, 9)}",
                       repr(random_word(rng)), "True", "False", "None", f"[{rng.randint(0, 9)}, {rng.randint(0, 9)}]"])


def _synthetic_issue(rng: random.Random, name: str) -> str:
    """An issue in the tiny suite's style: a failing test calling `name` (a plain call or a
    method call) and what it returned instead of the expected value."""
    args = ", ".join(_random_value(rng) for _ in range(rng.randint(0, 3)))
    if rng.random() < 0.35:
        receiver = random_identifier(rng)
        setup = f"    {receiver} = {random_identifier(rng, capitalized=True)}({_random_value(rng)})\n"
        call = f"{receiver}.{name}({args})"
    else:
        setup, call = "", f"{name}({args})"
    test = f"test_{name}" + (f"_{random_word(rng)}" if rng.random() < 0.5 else "")
    path = f"tests/test_{random_identifier(rng)}.py"
    expected = got = _random_value(rng)
    while got == expected:
        got = _random_value(rng)
    title = rng.choice(_ISSUE_TITLES).format(call=call, test=test)
    body = (f"{rng.choice(_ISSUE_OPENINGS).format(path=path, test=test)}\n\n```python\ndef {test}():\n{setup}"
            f"    assert {call} == {expected}\n```\n\n`{call}` returns `{got}`, but `{expected}` is expected.")
    return f"{title}\n\n{body}"


def issue_search_call(rng: random.Random) -> Doc:
    """Tool format: a synthetic issue about a function with a random name, then the search an
    agent starts with, `grep -rn 'def NAME(' ...`. Only the issue can say NAME, so a model
    learns to take it from there rather than from memory."""
    name = random_identifier(rng)
    issue = f"<issue_description>\n{_synthetic_issue(rng, name)}\n</issue_description>"
    reply = format_call("bash", thought(rng, _SEARCH_THOUGHTS),
                        command=search_command(name))
    return chat("issue_search_call", [("system", SHORT_SYSTEM), ("user", issue), ("assistant", reply)])


_APPLY_THOUGHTS = ("The issue shows the faulty code and its fix; apply it.",
                   "The reporter's suggested fix matches the failure; apply it.")


def suggested_fix_call(rng: random.Random, lines: list[str], path: str) -> Doc | None:
    """Tool format: an issue whose reporter suggests a fix (the suite's wording: the file, the
    faulty code, what it should read), the expert's `git status`, then the `str_replace` copying
    path, faulty code and fix from the issue. The faulty line is a real line with one token
    changed and the fix the real line, so copying the faulty one has to win over memory."""
    spots = [i for i, line in enumerate(lines) if line.strip() and lines.count(line) == 1]
    for i in rng.sample(spots, len(spots)):
        edit = one_token_edit(rng, lines[i])
        if edit is None or edit[0] in lines:
            continue
        lo, hi = (max(0, i - 1), min(len(lines), i + 2)) if rng.random() < 0.2 else (i, i + 1)
        old = "\n".join(lines[lo:i] + [edit[0]] + lines[i + 1:hi])
        new = "\n".join(lines[lo:hi])
        names = re.findall(r"def (\w+)\(", "\n".join(lines[:i + 1]))
        issue = (_synthetic_issue(rng, names[-1] if names else random_identifier(rng)) + "\n\n"
                 + rng.choice(SUGGESTIONS).format(path=path, old=old, new=new))
        status = format_call("bash", thought(rng, ("Check git status before touching anything.",
                                                   "First, check the state of the working tree.")),
                             command="git status --short --untracked-files=all")
        fix = format_call("str_replace_editor", thought(rng, _APPLY_THOUGHTS), command="str_replace",
                          path=f"{WORKDIR}/{path}", old_str=f"\n{old}\n", new_str=f"\n{new}\n")
        return chat("suggested_fix_call", [
            ("system", SHORT_SYSTEM), ("user", f"<issue_description>\n{issue}\n</issue_description>"),
            ("assistant", status), ("user", observation_message("")), ("assistant", fix)])
    return None


def grep_view_call(rng: random.Random, files: dict[str, list[str]]) -> Doc | None:
    """Tool format: the expert's search `grep -rn 'def NAME(' ...` and its hit, then the view from
    that hit to the end of the file (`[LINE, -1]`, sometimes the whole file): path and line copied
    from the hit line, the step after `issue_search_call`."""
    defs = [d for d in grep_defs(files) if re.match(r"\s*def ", d[2])]
    if not defs:
        return None
    path, number, _, name = rng.choice(defs)
    hits = [d for d in defs if d[3] == name]
    arguments = {"command": "view", "path": f"{WORKDIR}/{path}"}
    if rng.random() < 0.85:
        arguments["view_range"] = f"[{number}, -1]"
    reply = format_call("str_replace_editor", thought(rng, (
        f"`{name}` is defined in {path}; read it.", "Read the function from its definition.",
        "Open the file at the hit.")), **arguments)
    return chat("grep_view_call", [
        ("system", SHORT_SYSTEM),
        ("user", f"`{name}` gives a wrong result. Find its code and show it."),
        ("assistant", format_call("bash", thought(rng, _SEARCH_THOUGHTS), command=search_command(name))),
        ("user", observation_message(grep_output(hits))),
        ("assistant", reply),
    ])


def repair_call(rng: random.Random, lines: list[str], path: str, name: str, def_line: int,
                body_lines: list[int]) -> Doc | None:
    """Tool format, the expert's last steps: asked about `name`, view the file from its definition
    (`[def_line, -1]`), where one line of the function's body has one token changed; then the
    `str_replace` that restores that line. Nothing in the context says which line or how: only a
    memory of the code does (the train repositories' code is in the pretraining data), so the
    corpus draws these from the train split's functions only (corpus.py)."""
    for number in rng.sample(body_lines, len(body_lines)):
        original = lines[number - 1]
        edit = one_token_edit(rng, original)
        if edit is None:
            continue
        shown = lines[:number - 1] + [edit[0]] + lines[number:]
        if shown.count(edit[0]) != 1:
            continue
        view = format_call("str_replace_editor", thought(rng, ("Read the function.", "Open the code.")),
                           command="view", path=f"{WORKDIR}/{path}", view_range=f"[{def_line}, -1]")
        fix = format_call("str_replace_editor", thought(rng, ("This line is wrong; fix it.", "Fix the bug.")),
                          command="str_replace", path=f"{WORKDIR}/{path}", old_str=f"\n{edit[0]}\n",
                          new_str=f"\n{original}\n")
        return chat("repair_call", [
            ("system", SHORT_SYSTEM),
            ("user", f"`{name}` gives a wrong result. Fix it."),
            ("assistant", view),
            ("user", observation_message(cat_n(shown[def_line - 1:], f"{WORKDIR}/{path}", def_line))),
            ("assistant", fix),
        ])
    return None

"""Issue text for an injected bug, written from what the failing tests observe: the test, the call,
the expected value and what happened. Optionally (a share of the suite, build.py) the reporter also
suggests a fix: the file, the faulty code and what it should read, as real issue reports often do
(SWE-Bench+, arXiv 2410.06992: the solution was in the issue or its comments for 32.67% of the
patches SWE-agent + GPT-4 got accepted)."""

from __future__ import annotations

import random
import re

_WHERE = re.compile(r"^\+\s+where (.+?) = (.+)$")
_ASSERT = re.compile(r"^assert (.+?) == (.+)$")
_CARETS = re.compile(r"^[\s^~]+$")
# Object addresses in pytest's messages (`at 0x7fce1216c3d0`, cut short `<m.It...7fce1216c3d0>`)
# change with every run: kept, they would make two builds of the suite differ. At least 8 hex
# digits: a constant such as `range(0x110000)` in a ValueError is part of the issue.
_ADDRESS = re.compile(r"0x[0-9a-f]{8,}|(?<=\.\.\.)[0-9a-f]{8,}(?=>)")

_TITLES = [
    "`{call}` gives a wrong result",
    "Wrong result from `{call}`",
    "Unexpected behaviour of `{call}`",
]
_OPENINGS = [
    "The test `{test}` fails on the current code:",
    "After the latest changes `{test}` no longer passes:",
    "I ran the test suite and `{test}` fails:",
]


def _frame(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split pytest's short traceback lines of the test frame into code lines and E-lines."""
    code, errors = [], []
    for line in lines:
        if line.startswith("E "):
            errors.append(line[1:].strip())
        else:
            text = line.removeprefix(">")
            if text.strip() and not _CARETS.match(text):
                code.append(text.rstrip())
    return code, errors


def _observed(failure: dict) -> tuple[str | None, str]:
    """(the call, a sentence of what was expected and what happened), without object addresses."""
    call, sentence = _observed_raw(failure)
    return (_without_addresses(call) if call else call), _without_addresses(sentence)


def _without_addresses(text: str) -> str:
    return _ADDRESS.sub(lambda m: "0x..." if m[0].startswith("0x") else "", text)


def _observed_raw(failure: dict) -> tuple[str | None, str]:
    code, errors = _frame(failure.get("lines", []))
    message = failure.get("message", "").strip()
    call = actual = expected = None
    for err in errors:
        where = _WHERE.match(err)
        if where and call is None:
            actual, call = where.group(1), where.group(2)
    assertion = _ASSERT.match(code[-1].strip()) if code else None
    if assertion:
        call = call or assertion.group(1)
        expected = assertion.group(2)
    first = message.splitlines()[0] if message else "the test fails"
    if call and actual is not None and expected is not None:
        return call, f"`{call}` returns `{actual}`, but `{expected}` is expected."
    if call and expected is not None and not message.startswith("assert"):
        return call, f"`{call}` should give `{expected}`, but it fails with `{first}`."
    return call, f"It fails with: `{first}`."


SUGGESTIONS = [
    ("I think the problem is in `{path}`. This code:\n\n```python\n{old}\n```\n\n"
     "should be:\n\n```python\n{new}\n```"),
    ("Looking at `{path}`, the bug seems to be here:\n\n```python\n{old}\n```\n\n"
     "Changing it to\n\n```python\n{new}\n```\n\nfixes it for me."),
]


def write_statement(repo: str, failures: list[dict], rng: random.Random,
                    suggested_fix: tuple[str, str, str] | None = None) -> str:
    """An issue text for the failures of one task (the first few failing tests), with the
    reporter's suggested fix (path, faulty code, corrected code) when given."""
    shown = failures[:3]
    calls, parts = [], []
    for failure in shown:
        call, sentence = _observed(failure)
        if call:
            calls.append(call)
        source = failure.get("source", "").strip("\n")
        if not source:
            code, _ = _frame(failure.get("lines", []))
            source = "\n".join(line.strip() for line in code[-3:])
        opening = rng.choice(_OPENINGS).format(test=failure["nodeid"])
        parts.append(f"{opening}\n\n```python\n{source}\n```\n\n{sentence}")
    if calls:
        title = rng.choice(_TITLES).format(call=calls[0])
    else:
        title = f"`{failures[0]['nodeid'].split('::')[-1]}` fails" if failures else f"Failures in `{repo}`"
    more = len(failures) - len(shown)
    tail = f"\n\n{more} more test(s) fail in a similar way." if more > 0 else ""
    if suggested_fix is not None:
        path, old, new = suggested_fix
        tail += "\n\n" + rng.choice(SUGGESTIONS).format(path=path, old=old, new=new)
    return (f"{title}\n\n" + "\n\n".join(parts) + tail
            + "\n\nThe tests describe the intended behaviour; please fix the library.")

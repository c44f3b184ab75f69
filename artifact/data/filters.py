"""Trajectory filters. Each filter is a small function over one Trajectory that answers "keep?",
with its rule in its docstring and its knobs in a dataclass, so the manifest can record them.

Order used by build.py: resolved -> repetition -> max_chars -> (zero-loss, in examples.py).
The max_tokens limit proper is applied after tokenization (tokenize.ExampleTooLong); max_chars is
the cheap pre-tokenization stand-in (about 3-4 characters per token for code and English).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from artifact.agent.actions import normalize_action
from artifact.agent.trajectory import Trajectory


def resolved(trajectory: Trajectory) -> bool:
    """Keep a trajectory only when its grading report says resolved. Fail closed: an ungraded
    trajectory (no report, or a report without `resolved`) is dropped, never trusted."""
    return bool(trajectory.report and trajectory.report.get("resolved") is True)


@dataclass(frozen=True)
class RepetitionRule:
    """The paper's repetition filter is unpublished; this is our documented stand-in.

    A trajectory is dropped when, among its *counted* actions (see `repetitive`):
      - the same normalized action occurs `repeat_limit` times in a row, or
      - more than `duplicate_fraction` of the actions repeat an earlier counted action.
    """

    repeat_limit: int = 3
    duplicate_fraction: float = 0.5


def repetition_reason(actions: list[str], rule: RepetitionRule) -> str | None:
    """Why a sequence of normalized actions is repetitive under `rule`, or None if it is not."""
    run = 0
    previous = None
    for action in actions:
        run = run + 1 if action == previous else 1
        previous = action
        if run >= rule.repeat_limit:
            return f"{rule.repeat_limit} identical actions in a row"
    seen: set[str] = set()
    duplicates = 0
    for action in actions:
        duplicates += action in seen
        seen.add(action)
    if actions and duplicates / len(actions) > rule.duplicate_fraction:
        return f"{duplicates}/{len(actions)} actions repeat earlier ones"
    return None


def repetitive(trajectory: Trajectory, rule: RepetitionRule,
               counted: Callable[[dict], bool]) -> bool:
    """True when the trajectory should be dropped for repetition.

    Only the assistant turns for which `counted(message)` holds are examined; build.py passes the
    loss predicate, so with expert_only masking the student's (masked) turns are ignored. Why:
    masked turns are never imitated, and a looping student is exactly the state OEC wants the
    expert to correct from - dropping those would remove the most useful corrections. Duplicates
    are counted within the examined turns only."""
    actions = [normalize_action(m["content"]) for m in trajectory.messages
               if m["role"] == "assistant" and counted(m)]
    return repetition_reason(actions, rule) is not None


def within_chars(messages: list[dict], max_chars: int | None) -> bool:
    """Keep when the total content length of the example's messages is at most `max_chars`
    (None: no limit). A character count, not tokens: see the module docstring."""
    return max_chars is None or sum(len(m["content"]) for m in messages) <= max_chars

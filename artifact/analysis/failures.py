"""Failure modes of unresolved trajectories: deterministic buckets, optionally an LLM judge too.

Each UNRESOLVED trajectory (graded, not resolved; ungraded ones are counted apart) gets the first
bucket whose rule holds, in this precedence order:

1. infinite_loop - the project's repetition detector (data/filters.py) fires on its actions: a
   loop is the cause even when the run then hits the call limit. Also exit status stuck (the
   agent loop's `stuck_after` stop: the same action met the same output N times).
2. call_limit - exit status call_limit (the model-call budget ran out).
3. context_overflow - exit status context_limit (the prompt outgrew the model's context).
4. syntax_error - a .py file left by the final patch does not `compile()` (post-patch text from the
   task's base commit + the patch); when some edited file's text is not available and none fails,
   a SyntaxError / IndentationError / TabError traceback in the last observations counts.
5. tool_error - exit status format_error, or more than `tool_error_share` of the last
   `tail_observations` observations are format errors or failed str_replace_editor calls.
6. identified_incorrect_file - the patch edits files, none of them among the gold patch's files.
7. wrong_solution - the patch edits a gold file, yet the tests fail.
8. other - anything else, e.g. a run that submitted no change at all (reason "no edits").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from artifact.agent.actions import FormatError, parse_action
from artifact.agent.trajectory import Trajectory
from artifact.analysis.patched_files import (
    SourceReader,
    edited_files,
    first_syntax_error,
    post_patch_sources,
    read_base_file,
)
from artifact.analysis.trajectory_files import AnalysisError, load_runs
from artifact.data.filters import RepetitionRule, normalize_action, repetition_reason
from artifact.tasks.schema import Task, load_tasks

BUCKETS = ("infinite_loop", "call_limit", "context_overflow", "syntax_error", "tool_error",
           "identified_incorrect_file", "wrong_solution", "other")
_TRACEBACK = re.compile(r"^\s*(?:\w+\.)*(SyntaxError|IndentationError|TabError)\b", re.MULTILINE)


@dataclass(frozen=True)
class FailureRules:
    repetition: RepetitionRule = field(default_factory=RepetitionRule)
    tail_observations: int = 5  # how many of the last observations the tool-error rule reads
    tool_error_share: float = 0.5  # tool_error when MORE than this share of them are errors
    traceback_observations: int = 3  # last observations searched for a syntax-error traceback


@dataclass
class Verdict:
    bucket: str
    reason: str


def _steps(trajectory: Trajectory) -> list[tuple[dict, dict | None]]:
    """(assistant message, the observation that followed it or None), in order."""
    steps: list[tuple[dict, dict | None]] = []
    for message in trajectory.messages:
        if message["role"] == "assistant":
            steps.append((message, None))
        elif steps and steps[-1][1] is None and message.get("kind") == "observation":
            steps[-1] = (steps[-1][0], message)
    return steps


def is_tool_error(action: dict, observation: dict) -> bool:
    """A format-error observation, or a str_replace_editor call that exited non-zero (the editor
    prints its error and exits 1; argparse usage errors exit 2)."""
    if observation.get("observation_type") == "format_error":
        return True
    try:
        call = parse_action(action["content"])
    except FormatError:
        return False
    return call.name == "str_replace_editor" and observation.get("exit_code") not in (0, None)


def classify(trajectory: Trajectory, task: Task, rules: FailureRules = FailureRules(),
             reader: SourceReader = read_base_file) -> Verdict:
    """The deterministic bucket of one unresolved trajectory (see the module docstring)."""
    actions = [normalize_action(m["content"]) for m in trajectory.assistant_messages()]
    loop = repetition_reason(actions, rules.repetition)
    if loop:
        return Verdict("infinite_loop", loop)
    if trajectory.exit_status == "stuck":
        return Verdict("infinite_loop", trajectory.error or "exit status stuck")
    if trajectory.exit_status == "call_limit":
        return Verdict("call_limit", "exit status call_limit")
    if trajectory.exit_status == "context_limit":
        return Verdict("context_overflow", "exit status context_limit")
    steps = _steps(trajectory)
    observations = [obs for _, obs in steps if obs is not None]
    sources = post_patch_sources(task, trajectory.patch, reader)
    broken = first_syntax_error(sources)
    if broken:
        return Verdict("syntax_error", broken)
    if any(text is None for text in sources.values()):
        for obs in observations[-rules.traceback_observations:]:
            if match := _TRACEBACK.search(obs["content"]):
                return Verdict("syntax_error", f"{match.group(1)} in a late observation")
    if trajectory.exit_status == "format_error":
        return Verdict("tool_error", "exit status format_error")
    tail = [(a, o) for a, o in steps if o is not None][-rules.tail_observations:]
    errors = sum(is_tool_error(a, o) for a, o in tail)
    if tail and errors / len(tail) > rules.tool_error_share:
        return Verdict("tool_error",
                       f"{errors}/{len(tail)} of the last observations are tool errors")
    edited, gold = edited_files(trajectory.patch), edited_files(task.patch)
    if not edited:
        return Verdict("other", "no edits")
    if not edited & gold:
        return Verdict("identified_incorrect_file",
                       f"edited {', '.join(sorted(edited))}; gold: {', '.join(sorted(gold))}")
    return Verdict("wrong_solution", f"edited {', '.join(sorted(edited & gold))}; tests fail")


def _task_index(tasks: Sequence[Task] | Mapping[str, Task] | str | Path) -> dict[str, Task]:
    if isinstance(tasks, (str, Path)):
        tasks = load_tasks(tasks)
    if isinstance(tasks, Mapping):
        return dict(tasks)
    return {t.instance_id: t for t in tasks}


def failure_modes(tasks: Sequence[Task] | Mapping[str, Task] | str | Path,
                  runs: Mapping[str, Sequence[str | Path] | str | Path], *,
                  judge=None, rules: FailureRules = FailureRules(),
                  reader: SourceReader = read_base_file,
                  on_item: Callable[[str, int, int], None] | None = None) -> dict:
    """Bucket every unresolved trajectory of each run. `tasks`: a task file or Task objects (for
    the gold patches); `runs`: {model name: run folder(s)}. `judge` (judge.LLMJudge or anything
    with `classify(task, trajectory) -> dict` and `describe() -> dict`) adds the LLM's bucket.
    `on_item(run, done, total)` reports progress. Raises AnalysisError on unusable input."""
    by_id = _task_index(tasks)
    if not runs:
        raise AnalysisError("no run to analyse")
    loaded = {}
    for name, folders in runs.items():
        records = load_runs(folders)
        if not records:
            raise AnalysisError(f"run {name!r}: no finished trajectories found")
        loaded[name] = records
    result: dict = {"buckets": list(BUCKETS), "rules": asdict(rules),
                    "judge": judge.describe() if judge is not None else None, "runs": {}}
    for name, records in loaded.items():
        unresolved = [(p, r) for p, r in records if r.report is not None and not r.resolved]
        entry = {"trajectories": len(records), "resolved": sum(r.resolved for _, r in records),
                 "ungraded": sum(r.report is None for _, r in records),
                 "unresolved": len(unresolved), "items": []}
        for done, (path, record) in enumerate(unresolved, start=1):
            task = by_id.get(record.instance_id)
            if task is None:
                raise AnalysisError(f"{path}: instance {record.instance_id!r} is not in the tasks")
            verdict = classify(record, task, rules, reader)
            item = {"file": str(path), "instance_id": record.instance_id,
                    "exit_status": record.exit_status, "bucket": verdict.bucket,
                    "reason": verdict.reason}
            if judge is not None:
                item["judge"] = judge.classify(task, record)
            entry["items"].append(item)
            if on_item is not None:
                on_item(name, done, len(unresolved))
        counts = Counter(item["bucket"] for item in entry["items"])
        entry["counts"] = {b: counts.get(b, 0) for b in BUCKETS}
        if judge is not None:
            said = Counter(item["judge"]["bucket"] for item in entry["items"])
            entry["judge_counts"] = {b: said.get(b, 0) for b in judge.buckets}
        result["runs"][name] = entry
    if not any(entry["unresolved"] for entry in result["runs"].values()):
        ungraded = sum(entry["ungraded"] for entry in result["runs"].values())
        hint = f" ({ungraded} trajectories have no test report)" if ungraded else ""
        raise AnalysisError(f"no unresolved trajectories in the given runs{hint}")
    return result

"""The agent loop: ask the policy, run its one tool call, show the output, repeat until submit or a
limit. The trajectory is saved after every step; control flow uses a few exceptions."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from artifact.agent.actions import FormatError, normalize_action, parse_action, to_command
from artifact.agent.history import KEEP_LAST_OBSERVATIONS, model_view
from artifact.agent.prompts import (
    FORMAT_ERROR_TEMPLATE,
    instance_message,
    observation_message,
    system_message,
)
from artifact.agent.trajectory import Trajectory
from artifact.policies.base import (
    CallLimitReached,
    ContextLimitReached,
    Policy,
    PolicyError,
)
from artifact.runtime.base import Session
from artifact.tasks.schema import Task


@dataclass
class AgentConfig:
    command_timeout: float = 300.0  # seconds per command (paper: 300 s)
    wall_time_limit: float = 3600.0  # seconds per rollout
    max_format_errors: int = 3  # consecutive unparseable replies before giving up
    keep_last_observations: int = KEEP_LAST_OBSERVATIONS
    # End as "stuck" when the same action has met the same output this many times (0: never, as
    # in the paper's harness). A greedy student that repeats itself does not recover, and such
    # rollouts burn the whole call limit; OpenHands' stuck detector stops on 4 repeats too. Only
    # for rollouts no expert may still take over: a looping student is what OEC corrects.
    stuck_after: int = 0


class _Exit(Exception):
    def __init__(self, status: str, error: str | None = None):
        super().__init__(status)
        self.status, self.error = status, error


def run_agent(task: Task, session: Session, policy: Policy, record: Trajectory,
              config: AgentConfig | None = None, save_to: str | Path | None = None) -> Trajectory:
    """Run one rollout into `record` (its messages must be empty) and return it, finished."""
    config = config or AgentConfig()
    record.started_at = record.started_at or time.time()
    record.messages = [
        {"role": "system", "content": system_message(session.workdir), "kind": "system"},
        {"role": "user", "content": instance_message(task, session.workdir), "kind": "instance"},
    ]

    def save(durable: bool = False) -> None:
        record.seconds = time.time() - record.started_at
        if save_to is not None:
            record.save(save_to, durable=durable)

    save()
    try:
        _steps(session, policy, record, config, save)
    except _Exit as stop:
        record.exit_status, record.error = stop.status, stop.error
    try:
        record.patch = session.diff()  # every exit submits the workspace as it is, like SWE-agent
    except Exception as exc:  # noqa: BLE001 - a broken workspace ends as runtime_error
        record.exit_status, record.error = "runtime_error", f"diff failed: {exc}"
    save(durable=True)
    return record


def _steps(session: Session, policy: Policy, record: Trajectory, config: AgentConfig, save) -> None:
    format_errors = 0
    seen: Counter[tuple[str, str]] = Counter()  # (action, output) -> times, for stuck_after
    while True:
        if time.time() - record.started_at > config.wall_time_limit:
            raise _Exit("timeout", f"wall time limit of {config.wall_time_limit:.0f} s reached")
        view, elided = model_view(record.messages, config.keep_last_observations)
        try:
            reply = policy.act(view)
        except CallLimitReached as exc:
            raise _Exit("call_limit", str(exc) or None) from None
        except ContextLimitReached as exc:
            raise _Exit("context_limit", str(exc) or None) from None
        except PolicyError as exc:
            raise _Exit("runtime_error", str(exc)) from None
        if reply.author == "expert" and record.switch_index is None:
            record.switch_index = len(record.assistant_messages())
        record.messages.append({
            "role": "assistant", "content": reply.text, "kind": "action", "author": reply.author,
            "model": reply.model, "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens, "seconds": round(reply.seconds, 4),
            "elided": elided,
        })
        try:
            call = parse_action(reply.text)
            command = None if call.name == "submit" else to_command(call)
        except FormatError as exc:
            format_errors += 1
            _observe(record, FORMAT_ERROR_TEMPLATE.format(error=exc), kind="format_error")
            save()
            if format_errors >= config.max_format_errors:
                raise _Exit("format_error", str(exc)) from None
            continue
        format_errors = 0
        if command is None:
            raise _Exit("submitted")
        try:
            result = session.run(command, timeout=config.command_timeout)
        except Exception as exc:  # noqa: BLE001 - the runtime itself failed, not the command
            raise _Exit("runtime_error", f"runtime failed: {exc}") from None
        _observe(record, observation_message(result.output), exit_code=result.exit_code,
                 seconds=round(result.seconds, 4), timed_out=result.timed_out)
        save()
        if config.stuck_after:
            step = (normalize_action(reply.text), result.output)
            seen[step] += 1
            if seen[step] >= config.stuck_after:
                raise _Exit("stuck", f"the same action gave the same output "
                                     f"{config.stuck_after} times")


def _observe(record: Trajectory, content: str, kind: str = "observation", **extra) -> None:
    # The line count is stored so that eliding old observations later costs nothing.
    record.messages.append({"role": "user", "content": content, "kind": "observation",
                            "observation_type": kind, "lines": content.count("\n") + 1, **extra})

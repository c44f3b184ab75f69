"""Agent-loop overhead per step: run_agent with a policy and a session that both answer at once,
so all the time measured is the loop's own (history view, parsing, records, trajectory writes).

usage: python bench/loop_overhead.py [--reps 5] [--out DIR]

Two shapes: short (10 steps, small observations) and long (75 steps, every observation at the
runtime's 70,000-character output cap). Each is timed as the runner uses it (trajectory written
atomically with fsync after every step, into --out, default a temp dir) and in memory
(save_to=None), to show where the time goes. Medians over --reps runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from artifact.agent.actions import format_call
from artifact.agent.loop import AgentConfig, run_agent
from artifact.agent.trajectory import Trajectory
from artifact.policies.base import Reply
from artifact.runtime.instant import InstantSession
from artifact.tasks.schema import Task

TARGET_MS = 2.0
OUTPUT_CAP = 70_000  # artifact.runtime.sandbox.SandboxConfig.output_cap
TASK = Task("bench__0", "bench/repo", "0" * 40, "", "", [], [], "Fix the bug. " * 40, "1",
            repo_path="unused")
CALL = format_call("bash", "Let me look at the code around the failing test first.",
                   command="grep -rn 'def total' . && sed -n 1,80p pkg/mod0.py")
SUBMIT = format_call("submit", "done")


class InstantPolicy:
    name = "instant"

    def __init__(self, steps: int):
        self.steps, self.calls = steps, 0

    def act(self, messages: list[dict]) -> Reply:
        self.calls += 1
        return Reply(CALL if self.calls < self.steps else SUBMIT, "student", "instant", 1000, 50)


@dataclass
class Shape:
    name: str
    steps: int
    observation_chars: int

    def output(self) -> str:
        line = "pkg/mod0.py:12:    return sum(x for x in values if x is not None)  # total\n"
        return (line * (self.observation_chars // len(line) + 1))[: self.observation_chars]


def per_step_ms(shape: Shape, save_dir: Path | None) -> float:
    session, policy = InstantSession(shape.output()), InstantPolicy(shape.steps)
    record = Trajectory(TASK.instance_id, "bench", 0)
    save_to = save_dir / f"{shape.name}.json" if save_dir else None
    started = time.perf_counter()
    run_agent(TASK, session, policy, record, AgentConfig(), save_to=save_to)
    seconds = time.perf_counter() - started
    assert record.exit_status == "submitted" and policy.calls == shape.steps
    return seconds / shape.steps * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="where trajectories are written")
    args = parser.parse_args()

    # "typical": a full-length rollout with observation sizes like the tiny suite's (file views,
    # test runs); "worst": every observation at the 70,000-character cap (a 5 MB record).
    shapes = [Shape("short", 10, 400), Shape("typical", 75, 2000), Shape("worst", 75, OUTPUT_CAP)]
    with tempfile.TemporaryDirectory(prefix="oec-loop-", dir=args.out) as tmp:
        print(f"trajectory writes go to {tmp}")
        for shape in shapes:
            for label, save_dir in (("saved every step", Path(tmp)), ("in memory", None)):
                runs = [per_step_ms(shape, save_dir) for _ in range(args.reps)]
                median = statistics.median(runs)
                verdict = "meets" if median <= TARGET_MS else "MISSES"
                print(f"{shape.name:5s} ({shape.steps:2d} steps, {shape.observation_chars:6d}-char "
                      f"observations), {label:16s}: {median * 1000:9.1f} us/step "
                      f"(min {min(runs) * 1000:.1f}) - target <= {TARGET_MS:g} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rollout throughput with 1 vs N workers, through the real runner, policy and HTTP stack.

usage: python bench/rollout_throughput.py [--rollouts 32] [--steps 5] [--latency 0.2] [--workers 16]

A local OpenAI-compatible server (tests/fake_openai_server.py) answers every chat request after
`--latency` seconds: `steps - 1` bash calls, then submit. Commands run in an instant in-memory
runtime (no sandbox), so the time is model latency plus our overhead (HTTP client, agent loop,
trajectory writes). One OpenAIPolicy instance is shared by all rollouts, as in real runs.
Requests go only to 127.0.0.1; at most 2 * rollouts * steps + 1 of them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the fake server lives with the tests that also use it

from fake_openai_server import FakeOpenAIServer, Response, completion

from artifact.agent.actions import format_call
from artifact.agent.loop import AgentConfig
from artifact.generation.runner import (
    RolloutJob,
    exit_status_counts,
    run_jobs,
    trajectory_path,
)
from artifact.policies.openai_policy import OpenAIPolicy
from artifact.runtime.instant import InstantRuntime
from artifact.tasks.schema import Task

TARGET_RATIO = 12.0
# Replies as a server returns them: the `</function>` stop string removed (the policy restores it).
LS = format_call("bash", "look around", command="ls -la")[: -len("</function>")]
SUBMIT = format_call("submit", "done")[: -len("</function>")]
OUTPUT = "".join(f"-rw-r--r-- 1 root root {i:5d} Jan  1 00:00 file_{i}.py\n" for i in range(40))


def responder(steps: int, latency: float):
    def respond(request: dict) -> Response:
        # Stateless, so concurrent rollouts need no bookkeeping: the step is the number of
        # assistant turns already in the request.
        done = sum(m["role"] == "assistant" for m in request["messages"])
        return completion(LS if done < steps - 1 else SUBMIT, delay=latency,
                          prompt_tokens=1000 + 200 * done, completion_tokens=40)
    return respond


def run(workers: int, tasks: list[Task], policy: OpenAIPolicy) -> float:
    with tempfile.TemporaryDirectory(prefix="oec-bench-") as out:
        jobs = [RolloutJob(t, "bench", 0, trajectory_path(Path(out), t.instance_id, "bench", 0))
                for t in tasks]
        started = time.perf_counter()
        records = run_jobs(jobs, lambda task, seed, workdir: policy, InstantRuntime(OUTPUT),
                           AgentConfig(), workers=workers, grade=False)
        seconds = time.perf_counter() - started
    counts = exit_status_counts(records)
    if counts != {"submitted": len(tasks)}:
        raise SystemExit(f"unexpected exit statuses with {workers} workers: {counts}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5,
                        help="model calls per rollout (the last one submits)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per model answer")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()

    tasks = [Task(f"bench__{i:03d}", "bench/repo", "0" * 40, "", "", [], [], "Fix the bug.", "1",
                  repo_path="unused") for i in range(args.rollouts)]
    with FakeOpenAIServer(default=responder(args.steps, args.latency)) as server:
        policy = OpenAIPolicy(server.url, "fake-model", timeout=30.0, max_retries=1)
        policy.act([{"role": "user", "content": "warm up"}])  # connection pool and TLS context
        results = {}
        for workers in (1, args.workers):
            seconds = run(workers, tasks, policy)
            results[workers] = args.rollouts / seconds
            ideal = 1 / (args.steps * args.latency) * min(workers, args.rollouts)
            print(f"{workers:3d} worker(s): {args.rollouts} rollouts x {args.steps} steps in "
                  f"{seconds:6.2f} s = {results[workers]:6.2f} rollouts/s "
                  f"(ideal {ideal:.2f}: model latency only)")
        requests = len(server.chat_requests)
    ratio = results[args.workers] / results[1]
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"speed-up {args.workers} vs 1 workers: {ratio:.1f}x "
          f"(target >= {TARGET_RATIO:.0f}x: {verdict}); {requests} requests served")
    return 0


if __name__ == "__main__":
    sys.exit(main())

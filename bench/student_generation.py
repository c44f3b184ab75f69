"""Student generation on the CPU: one shared HFModel serving concurrent rollouts, batched (one
worker thread groups concurrent calls, as on a GPU) vs. prefix-cached (each rollout keeps its KV
cache and generates in its own thread) vs. prefix-cached in forked worker processes (the tiny
scale's default: decoding a small model is mostly Python, so threads share one GIL).

usage: python bench/student_generation.py [--rollouts 8] [--turns 12] [--workers 2]

Each rollout is a conversation shaped like the agent loop's: the real system and instance
prompts, then turns of a greedy reply plus a 12-line observation, with all but the last 5
observations elided (so from the 7th turn on, the prompt changes in the middle as well as at
the end). The model is the committed tiny-base. Prints wall time, tokens per second, the
speed-ups and how many replies the modes agree on (float rounding may flip a near-tie, as
batching itself does).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from artifact.agent.history import model_view
from artifact.agent.prompts import instance_message, observation_message, system_message
from artifact.generation.worker_processes import run_forked
from artifact.models.tiny_base import WEIGHTS_DIR
from artifact.policies.hf import HFModel, HFPolicy
from artifact.tasks.schema import Task

WORKDIR = "/testbed"


def _task(i: int) -> Task:
    statement = (f"`mean_of_{i}` returns the wrong value for lists with a None entry.\n"
                 "Expected 2.0, got 1.5. It should skip missing values. " * 3)
    return Task(f"bench__{i}", "bench/repo", "0" * 40, "", "", [], [], statement, "1",
                repo_path="unused")


def _observation(i: int, turn: int) -> str:
    lines = [f"pkg/mod{i}.py:{turn * 12 + n}:    total = sum(x for x in values_{n} if x)  # {turn}"
             for n in range(12)]
    return observation_message("\n".join(lines))


def rollout(model: HFModel, i: int, turns: int, max_new_tokens: int) -> tuple[list[str], int]:
    policy = HFPolicy(model, max_new_tokens=max_new_tokens)
    messages = [{"role": "system", "content": system_message(WORKDIR), "kind": "system"},
                {"role": "user", "content": instance_message(_task(i), WORKDIR), "kind": "instance"}]
    replies, tokens = [], 0
    for turn in range(turns):
        view, _ = model_view(messages)
        reply = policy.act(view)
        replies.append(reply.text)
        tokens += reply.completion_tokens
        messages.append({"role": "assistant", "content": reply.text, "kind": "action"})
        messages.append({"role": "user", "content": _observation(i, turn), "kind": "observation"})
    return replies, tokens


def run(mode: str, args) -> tuple[float, int, list[list[str]]]:
    with HFModel(str(WEIGHTS_DIR), reuse_prefix=mode != "batched") as model:
        rollout(model, 0, 1, 4)  # warm-up
        start = time.perf_counter()
        if mode == "processes":
            results: dict[int, tuple[list[str], int]] = {}
            run_forked(list(range(args.rollouts)),
                       lambda i: rollout(model, i, args.turns, args.max_new_tokens),
                       args.workers, results.__setitem__)
            results = [results[i] for i in range(args.rollouts)]
        else:
            with ThreadPoolExecutor(args.workers) as pool:
                results = list(pool.map(
                    lambda i: rollout(model, i, args.turns, args.max_new_tokens),
                    range(args.rollouts)))
        seconds = time.perf_counter() - start
    return seconds, sum(t for _, t in results), [r for r, _ in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=8)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    args = parser.parse_args()
    print(f"{args.rollouts} rollouts x {args.turns} turns, {args.workers} workers, "
          f"torch threads {torch.get_num_threads()} (1 per forked worker), "
          f"model {WEIGHTS_DIR.name}")
    modes = {}
    for mode in ("batched", "prefix-cached", "processes"):
        modes[mode] = seconds, tokens, _ = run(mode, args)
        print(f"{mode:>14}: {seconds:6.1f} s  {tokens / seconds:6.0f} generated tokens/s")
    base, cached, forked = modes["batched"], modes["prefix-cached"], modes["processes"]
    print(f"speed-up over batched: prefix-cached {base[0] / cached[0]:.2f}x, "
          f"+ processes {base[0] / forked[0]:.2f}x "
          f"(processes over threads {cached[0] / forked[0]:.2f}x)")
    for name, (_, _, replies) in (("prefix-cached", cached), ("processes", forked)):
        same = sum(a == b for x, y in zip(base[2], replies) for a, b in zip(x, y))
        print(f"replies equal to batched, {name}: {same} of {args.rollouts * args.turns}")


if __name__ == "__main__":
    main()

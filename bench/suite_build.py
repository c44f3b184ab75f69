"""Benchmark: wall time of building the tiny task suite from scratch (target <= 2 min on 2 cores).

usage: python bench/suite_build.py [--workers 2] [--seed 0]
Prints the build time, the candidates validated per second, and the task counts."""

from __future__ import annotations

import argparse
import tempfile
import time

from artifact.tasks.tiny_suite.build import build_suite

TARGET_SECONDS = 120.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oec-suite-bench-") as out:
        start = time.perf_counter()
        summary = build_suite(out, seed=args.seed, workers=args.workers, force=True)
        seconds = time.perf_counter() - start
    candidates = sum(v for k, v in summary.counts.items() if k.startswith("candidates/"))
    print(f"suite build: {seconds:.1f} s for {candidates} candidates "
          f"({candidates / seconds:.1f} validated/s, {args.workers} workers)")
    print(f"tasks: train {summary.counts.get('tasks/train', 0)}, verified {summary.counts.get('tasks/verified', 0)}")
    verdict = "meets" if seconds <= TARGET_SECONDS else "MISSES"
    print(f"target <= {TARGET_SECONDS:.0f} s: {verdict} (ratio {seconds / TARGET_SECONDS:.2f} of the budget)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Per-command latency of the sandbox against a bare subprocess.run, on the agent's typical mix.

usage: python bench/sandbox_latency.py [--reps 20] [--mechanisms bwrap,unshare,none]

Builds a small repository (5 modules, 30 tests) in a temp dir and times each command bare
(`subprocess.run(["bash", "-c", cmd])` in the same dir, same environment) and through Sandbox.run
for each mechanism ("none" = our runner without a sandbox: the cost of the runner itself).
Runs are interleaved (rep by rep, command by command in a shuffled order, mode by mode) and
medians are reported, because the machine is noisy.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from artifact.runtime.sandbox import Sandbox, SandboxConfig, detect_mechanism

MIX = [
    "grep -rn total .",
    "cat -n pkg/mod0.py",
    "sed -n 1,40p pkg/mod1.py",
    "python -c 'print(1)'",
    "python -m pytest -q -p no:cacheprovider",
]
FIXED = "true"  # the per-command overhead: a command that does nothing


def make_repo(root: Path, modules: int = 5, tests_per_module: int = 6) -> None:
    (root / "pkg").mkdir()
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    for m in range(modules):
        funcs = "\n\n".join(
            f"def f{i}(xs):\n    total = 0\n    for x in xs:\n        total += x * {i + 1}\n"
            f"    return total" for i in range(tests_per_module))
        (root / "pkg" / f"mod{m}.py").write_text(f'"""Module {m}."""\n\n\n{funcs}\n')
        tests = "\n\n".join(
            f"def test_f{i}():\n    assert mod{m}.f{i}([1, 2, 3]) == {6 * (i + 1)}"
            for i in range(tests_per_module))
        (root / "tests" / f"test_mod{m}.py").write_text(f"from pkg import mod{m}\n\n\n{tests}\n")


def bare(cmd: str, cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT, check=False)
    return time.perf_counter() - start


def sandboxed(sandbox: Sandbox, cmd: str) -> float:
    start = time.perf_counter()
    result = sandbox.run(cmd, timeout=120)
    elapsed = time.perf_counter() - start
    if result.exit_code != 0:
        raise SystemExit(f"{sandbox.mechanism}: {cmd!r} failed ({result.exit_code}):\n"
                         f"{result.output}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--mechanisms", default="",
                        help="comma-separated: bwrap, unshare, none (default: detected + none)")
    args = parser.parse_args()
    default = f"{detect_mechanism() or 'none'},none"
    chosen = (args.mechanisms or default).split(",")
    mechanisms = list(dict.fromkeys(chosen))
    with tempfile.TemporaryDirectory(prefix="oec-bench-") as tmp:
        repo = Path(tmp)
        make_repo(repo)
        boxes = {m: Sandbox(repo, SandboxConfig(), mechanism=None if m == "none" else m,
                            unsafe_no_sandbox=m == "none") for m in mechanisms}
        env = boxes[mechanisms[0]].env
        commands = [FIXED, *MIX]
        times: dict[tuple[str, str], list[float]] = {}
        for cmd in commands:  # warm caches once (page cache, pytest import) before timing
            bare(cmd, repo, env)
            for box in boxes.values():
                sandboxed(box, cmd)
        order = random.Random(0)
        for _ in range(args.reps):
            # A fresh order every repetition: the command right after pytest pays for its
            # after-effects (page cache, cleanup of the previous namespaces).
            for cmd in order.sample(commands, len(commands)):
                times.setdefault((cmd, "bare"), []).append(bare(cmd, repo, env))
                for name, box in boxes.items():
                    times.setdefault((cmd, name), []).append(sandboxed(box, cmd))
    med = {key: statistics.median(v) * 1000 for key, v in times.items()}
    width = max(len(c) for c in commands) + 2
    header = f"{'command':<{width}}{'bare ms':>9}" + "".join(
        f"{m + ' ms':>13}{'ratio':>7}" for m in mechanisms)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"medians over {args.reps} interleaved repetitions; load average {load} "
          f"on {os.cpu_count()} cores\n{header}")
    for cmd in commands:
        row = f"{cmd:<{width}}{med[cmd, 'bare']:9.1f}"
        for m in mechanisms:
            row += f"{med[cmd, m]:13.1f}{med[cmd, m] / med[cmd, 'bare']:7.2f}"
        print(row)
    total_bare = sum(med[c, "bare"] for c in MIX)
    for m in mechanisms:
        total = sum(med[c, m] for c in MIX)
        print(f"{m}: whole mix {total:.1f} ms vs bare {total_bare:.1f} ms -> ratio "
              f"{total / total_bare:.2f}x; fixed overhead per command "
              f"{med[FIXED, m] - med[FIXED, 'bare']:.1f} ms")


if __name__ == "__main__":
    main()

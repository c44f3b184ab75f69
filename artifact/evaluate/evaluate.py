"""`oec evaluate`: roll a policy out on every task at temperature 0, grade each patch, and write
SWE-bench `predictions.jsonl` plus `report.json` (resolve rate with a bootstrap CI)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from artifact.agent.loop import AgentConfig
from artifact.agent.trajectory import Trajectory, write_json_atomic
from artifact.evaluate.stats import bootstrap_ci
from artifact.generation.runner import (
    PolicyFactory,
    RolloutJob,
    exit_status_counts,
    run_jobs,
    trajectory_path,
)
from artifact.runtime.base import Runtime
from artifact.tasks.schema import Task
from artifact.tasks.tiny_suite.build import VERIFIED_ONLY


def evaluate(tasks: list[Task], make_policy: PolicyFactory, runtime: Runtime, out_dir: str | Path,
             model_name: str, seed: int = 0, workers: int = 1, config: AgentConfig | None = None,
             on_progress=None, processes: bool = False) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.time()
    jobs = [RolloutJob(t, "eval", seed, trajectory_path(out_dir, t.instance_id, "eval", seed)) for t in tasks]
    records = run_jobs(jobs, make_policy, runtime, config, workers=workers, on_progress=on_progress,
                       processes=processes)
    write_predictions(records, out_dir / "predictions.jsonl", model_name)
    report = summarize(records, model_name)
    report["subsets"] = subset_rates(tasks, records)
    report["seconds"] = round(time.time() - start, 2)
    write_json_atomic(out_dir / "report.json", report, indent=1)
    return report


def write_predictions(records: list[Trajectory], path: Path, model_name: str) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({"instance_id": r.instance_id, "model_name_or_path": model_name,
                                 "model_patch": r.patch}) + "\n")
    tmp.replace(path)


def summarize(records: list[Trajectory], model_name: str) -> dict:
    outcomes = [float(r.resolved) for r in records]
    n = len(records)
    turns = [len(r.assistant_messages()) for r in records]
    tokens = [sum(m.get("prompt_tokens", 0) + m.get("completion_tokens", 0) for m in r.assistant_messages())
              for r in records]
    return {
        "model": model_name,
        "n_tasks": n,
        "resolved": int(sum(outcomes)),
        "resolve_rate": round(sum(outcomes) / n, 4) if n else 0.0,
        "ci95": list(bootstrap_ci(outcomes)),
        "exit_status_counts": exit_status_counts(records),
        "mean_turns": round(sum(turns) / n, 2) if n else 0.0,
        "mean_tokens": round(sum(tokens) / n, 1) if n else 0.0,
        "resolved_ids": sorted(r.instance_id for r in records if r.resolved),
    }


def task_subsets(task: Task) -> list[str]:
    """The slices issue 4 asks the tiny suite's rate to be reported on: unseen functions of the
    train repositories vs the verified-only repository, and issues with or without a suggested
    fix. Tasks without the tiny suite's metadata (SWE-bench Verified) belong to none."""
    if "suggested_fix" not in task.meta:
        return []
    repo = "verified_only_repo" if task.repo.split("/")[-1] in VERIFIED_ONLY else "train_repos"
    return [repo, "suggested_fix" if task.meta["suggested_fix"] else "no_suggested_fix"]


def subset_rates(tasks: list[Task], records: list[Trajectory]) -> dict:
    by_id = {t.instance_id: t for t in tasks}
    outcomes: dict[str, list[float]] = {}
    for record in records:
        for name in task_subsets(by_id[record.instance_id]):
            outcomes.setdefault(name, []).append(float(record.resolved))
    return {name: {"n_tasks": len(values), "resolved": int(sum(values)),
                   "resolve_rate": round(sum(values) / len(values), 4), "ci95": list(bootstrap_ci(values))}
            for name, values in sorted(outcomes.items())}

"""`oec evaluate`: a policy on a task file, predictions and a report with a CI."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from artifact.agent.loop import AgentConfig
from artifact.cli.common import (
    check_policy,
    expert_factory,
    local_runtime,
    progress_bar,
    unsafe_option,
)
from artifact.evaluate.evaluate import evaluate
from artifact.tasks.schema import load_tasks


@click.command("evaluate")
@click.option("--policy", default="expert", show_default=True, help="Who acts: expert.")
@click.option("--tasks", "tasks_file", type=click.Path(path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--perturb", is_flag=True, help="Start each rollout from a random damaged state.")
@click.option("--limit", type=int, default=None, help="Evaluate only the first N tasks.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--call-limit", type=int, default=75, show_default=True)
@unsafe_option
def evaluate_cmd(policy: str, tasks_file: Path, out: Path, perturb: bool, limit: int | None, seed: int,
                 workers: int, call_limit: int, unsafe_no_sandbox: bool) -> None:
    """Roll out a policy on every task, grade, and write predictions.jsonl + report.json."""
    check_policy(policy)
    tasks = load_tasks(tasks_file)[:limit]
    runtime = local_runtime(tasks_file, unsafe_no_sandbox, hide=(out,))
    name = "scripted-expert" + ("+perturb" if perturb else "")
    with progress_bar() as progress:
        bar = progress.add_task("evaluate", total=len(tasks), info="")

        def on_progress(stats) -> None:
            progress.update(bar, completed=stats.done + stats.skipped,
                            info=f"resolved {stats.resolved}/{stats.done}  errors {stats.errors}")

        report = evaluate(tasks, expert_factory(perturb, call_limit), runtime, out, name, seed=seed, workers=workers,
                          config=AgentConfig(), on_progress=on_progress)
    summary = {k: report[k] for k in ("n_tasks", "resolve_rate", "ci95", "exit_status_counts")}
    Console().print_json(json.dumps(summary))
    Console().print(f"report: {out / 'report.json'}  predictions: {out / 'predictions.jsonl'}")

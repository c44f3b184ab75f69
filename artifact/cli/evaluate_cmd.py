"""`oec evaluate`: a policy on a task file, predictions and a report with a CI."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from artifact.agent.loop import AgentConfig
from artifact.cli.common import (
    check_forkable,
    check_policy,
    expert_factory,
    local_runtime,
    progress_bar,
    student_factory,
    unsafe_option,
)
from artifact.cli.errors import UserError
from artifact.evaluate.evaluate import evaluate
from artifact.policies.base import PolicyError
from artifact.tasks.schema import load_tasks


@click.command("evaluate")
@click.option("--policy", default=None, help="`expert` (the scripted expert; the default without --model).")
@click.option("--model", default=None, help="A student model folder or http(s) URL, run greedily.")
@click.option("--max-new-tokens", type=int, default=512, show_default=True)
@click.option("--tasks", "tasks_file", type=click.Path(path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--perturb", is_flag=True, help="Start each rollout from a random damaged state.")
@click.option("--limit", type=int, default=None, help="Evaluate only the first N tasks.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--processes", is_flag=True,
              help="Forked worker processes instead of threads: faster for a local CPU model, "
                   "whose decoding holds Python's GIL (not for http(s) endpoints).")
@click.option("--call-limit", type=int, default=75, show_default=True)
@click.option("--stuck-after", type=click.IntRange(min=0), default=0, show_default=True,
              help="End a rollout when the same action gave the same output N times (0: never, "
                   "as the paper).")
@unsafe_option
def evaluate_cmd(policy: str | None, model: str | None, max_new_tokens: int, tasks_file: Path, out: Path,
                 perturb: bool, limit: int | None, seed: int, workers: int, call_limit: int,
                 stuck_after: int, processes: bool, unsafe_no_sandbox: bool) -> None:
    """Roll out a policy on every task at temperature 0, grade, and write predictions.jsonl +
    report.json (resolve rate with a bootstrap CI)."""
    if policy is not None and model is not None:
        raise UserError("give either --policy expert or --model PATH|URL, not both")
    if model is not None and perturb:
        raise UserError("--perturb tests the expert's recovery; it does not apply to --model")
    tasks = load_tasks(tasks_file)[:limit]
    if processes and model is not None:
        check_forkable(model)
    if model is None:
        policy = policy or "expert"
        check_policy(policy)
        factory, name = expert_factory(perturb, call_limit), "scripted-expert" + ("+perturb" if perturb else "")
    else:
        try:
            factory, name = student_factory(model, call_limit, max_new_tokens), model.rstrip("/")
        except (ValueError, OSError, PolicyError) as exc:
            raise UserError(str(exc).splitlines()[0]) from None
    runtime = local_runtime(tasks_file, unsafe_no_sandbox, hide=(out,), tasks=tasks)
    with progress_bar() as progress:
        bar = progress.add_task("evaluate", total=len(tasks), info="")

        def on_progress(stats) -> None:
            progress.update(bar, completed=stats.done + stats.skipped,
                            info=f"resolved {stats.resolved}/{stats.done}  errors {stats.errors}")

        report = evaluate(tasks, factory, runtime, out, name, seed=seed, workers=workers,
                          config=AgentConfig(stuck_after=stuck_after), on_progress=on_progress,
                          processes=processes)
    summary = {k: report[k] for k in ("n_tasks", "resolve_rate", "ci95", "exit_status_counts", "subsets")}
    Console().print_json(json.dumps(summary))
    Console().print(f"report: {out / 'report.json'}  predictions: {out / 'predictions.jsonl'}")

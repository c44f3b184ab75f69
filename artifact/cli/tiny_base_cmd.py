"""`oec tiny-base ...`: build and probe the project's tiny pretrained base model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from artifact.cli.errors import UserError

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "models" / "tiny_base" / "weights"


@click.group("tiny-base")
def tiny_base() -> None:
    """Build and probe tiny-base, the tiny scale's pretrained student model."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local; never reach for a hub


@tiny_base.command("build")
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Output folder (weights, tokenizer, SHA256SUMS, BUILD.md).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--minutes", type=float, default=60.0, show_default=True,
              help="Cap on training wall time; the recipe stops early (and says so) when reached.")
@click.option("--work", type=click.Path(path_type=Path), default=None,
              help="Folder for checkpoints (resume); default ~/.cache/oec/tiny-base/seed<N>-<recipe>.")
@click.option("--n-probe", type=int, default=200, show_default=True, help="Probe items per kind.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Torch threads (default: torch's, one per core). The weights do not depend on it; "
                   "on a busy shared machine 1 can be faster.")
def build_cmd(out: Path, seed: int, minutes: float, work: Path | None, n_probe: int,
              threads: int | None) -> None:
    """Train the tokenizer, pretrain the model (copy warm-up, then copy + code + tool format),
    probe it and write a commit-ready folder."""
    from artifact.models.tiny_base.build import build

    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: not a folder")
    report = build(out, seed=seed, minutes=minutes, work=work, n_probe=n_probe, threads=threads,
                   echo=click.echo)
    _print_scores(report.scores, f"tiny-base: {report.parameters:,} parameters, {report.steps_done}/"
                                 f"{report.total_steps} steps in {report.train_seconds / 60:.1f} min -> {out}")
    click.echo(json.dumps(report.greedy))


@tiny_base.command("probe")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="A tiny-base folder; default: the committed weights.")
@click.option("--tasks", "tasks_file", type=click.Path(path_type=Path), default=None,
              help="A task file: also probe copying each issue's failing test ids.")
@click.option("--n", type=int, default=200, show_default=True, help="Items per probe kind / tasks used.")
@click.option("--greedy", "n_greedy", type=int, default=0, show_default=True,
              help="Also check N items per kind by real greedy generation.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--zero-shot", "n_zero_shot", type=int, default=0, show_default=True,
              help="Also roll the model out, as it is, on N of the --tasks (evenly spread) through the "
                   "agent loop at temperature 0 and report its resolve rate (a base model: expect ~0).")
def probe_cmd(model_dir: Path | None, tasks_file: Path | None, n: int, n_greedy: int, seed: int,
              n_zero_shot: int) -> None:
    """Exact-copy accuracy on held-out material (random spans; statskit lines, paths, edits and
    line continuations); with --zero-shot, the resolve rate of the model as an agent."""
    if n_zero_shot and tasks_file is None:
        raise UserError("--zero-shot needs --tasks (e.g. runs/tiny/tasks/verified.jsonl)")
    import torch

    from artifact.models.tiny_base import load_tiny_base
    from artifact.models.tiny_base import probe as probes
    from artifact.tasks.schema import load_tasks

    torch.set_num_threads(2)
    model, tokenizer = load_tiny_base(model_dir)
    tasks = load_tasks(tasks_file) if tasks_file else None
    details = probes.copy_probe_details(model, tokenizer, n=n, seed=seed, tasks=tasks, n_tasks=n)
    _print_details(details, f"copy probe of {model_dir or 'the committed tiny-base'} ({n} items per kind)")
    scores: dict[str, float] = {}
    if n_greedy:
        subset = (probes.random_span_items(n_greedy, seed) + probes.held_out_line_items(n_greedy, seed)
                  + probes.held_out_path_items(n_greedy, seed))
        hits, speed = probes.greedy_check(model, tokenizer, subset)
        scores["greedy_exact_subset"] = sum(hits) / len(hits)
        click.echo(f"greedy decoding: {speed:.0f} tokens/s on short answers")
    if n_zero_shot:
        scores["zero_shot_resolved"] = _zero_shot(model_dir or DEFAULT_OUT, tasks_file, tasks, n_zero_shot, seed)
    if scores:
        _print_scores(scores, "generation")


def _zero_shot(model_dir: Path, tasks_file: Path, tasks: list, n: int, seed: int) -> float:
    """The resolve rate of the base model itself as an agent (the pipeline's tiny budgets)."""
    import tempfile

    from artifact.agent.loop import AgentConfig
    from artifact.cli.common import local_runtime, student_factory
    from artifact.configs import load_scale
    from artifact.evaluate.evaluate import evaluate
    from artifact.pipeline.stages import spread

    budgets = load_scale("tiny")["pipeline"]
    factory = student_factory(str(model_dir), budgets["call_limit"], budgets["max_new_tokens"])
    with tempfile.TemporaryDirectory(prefix="oec-zero-shot-") as out:
        runtime = local_runtime(tasks_file, False, hide=(Path(out),))
        report = evaluate(spread(tasks, n), factory, runtime, out, str(model_dir), seed=seed,
                          workers=budgets["workers"], config=AgentConfig(),
                          processes=budgets.get("processes", False))
    click.echo(f"zero-shot: {report['resolved']}/{report['n_tasks']} resolved; exits {report['exit_status_counts']}")
    return report["resolve_rate"]


def _print_details(details: dict[str, dict[str, float]], title: str) -> None:
    table = Table("probe", "exact", "per token", "wrong from the 1st token", title=title,
                  caption="teacher-forced; wrong from the 1st token = chose the wrong line/file/name")
    for kind, d in details.items():
        table.add_row(kind, f"{d['exact']:.1%}", f"{d['token_accuracy']:.1%}", f"{d['wrong_at_start']:.1%}")
    Console().print(table)


def _print_scores(scores: dict[str, float], title: str) -> None:
    table = Table("probe", "exact", title=title)
    for kind, value in scores.items():
        table.add_row(kind, f"{value:.1%}")
    Console().print(table)

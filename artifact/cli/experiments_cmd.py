"""`oec list`, `oec run`, `oec reproduce`, `oec compare`: the paper's tables as experiments."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from artifact.cli.common import unsafe_option
from artifact.cli.errors import UserError
from artifact.configs import SCALES

runs_option = click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("runs"),
                           show_default=True, help="Where stage outputs are cached (resume).")
set_option = click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
                          help="Override one value of the scale's config file (repeatable), "
                               "e.g. --set pipeline.eval_tasks=20 --set train.epochs=4.")
results_option = click.option("--results-dir", type=click.Path(path_type=Path),
                              default=Path("results"), show_default=True)


def _experiment(name: str):
    import experiments

    try:
        return experiments.load(name)
    except KeyError:
        raise UserError(f"unknown experiment {name!r}; `oec list` shows them: "
                        f"{', '.join(experiments.NAMES)}") from None


@click.command("list")
def list_cmd() -> None:
    """The experiments, one per table or figure of the paper."""
    import experiments

    table = Table()
    table.add_column("experiment", no_wrap=True)  # the name to type: never cut
    for column in ("paper", "rows", "claims"):
        table.add_column(column)
    for exp in experiments.all_experiments():
        # An analysis walks a grid for a few of its rows: list those, and what it computes.
        rows = (", ".join(r.name for r in exp.rows) if exp.kind == "grid" else
                f"{exp.kind.replace('_', ' ')} of " + ", ".join(exp.extra.get("rows", ())))
        table.add_row(exp.name, exp.paper, rows,
                      ", ".join(c.reported_id for c in exp.claims) or "-")
    Console().print(table)


@click.command("run")
@click.argument("name")
@click.option("--scale", type=click.Choice(SCALES), default="tiny", show_default=True)
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dry-run", is_flag=True, help="Print the plan (models, tasks, counts, cost) only.")
@click.option("--rows", default=None, metavar="ROW,ROW",
              help="Only these rows of the table (e.g. BC,OEC: more seeds for the comparison "
                   "that matters, in less time); written as results/<scale>/<name>-<rows>.*")
@runs_option
@results_option
@set_option
@unsafe_option
def run_cmd(name: str, scale: str, seeds: int, dry_run: bool, rows: str | None, runs_dir: Path,
            results_dir: Path, overrides: tuple[str, ...], unsafe_no_sandbox: bool) -> None:
    """Run one experiment at a scale; writes results/<scale>/<name>.{json,md,png}."""
    exp = _experiment(name)
    chosen = [r.strip() for r in rows.split(",") if r.strip()] if rows is not None else None
    if chosen == []:
        raise UserError("--rows names no row")
    if dry_run:
        from artifact.pipeline.plan import print_plan

        try:
            print_plan(exp.subset(chosen) if chosen else exp, scale, seeds, overrides)
        except (ValueError, KeyError) as exc:
            raise UserError(str(exc).splitlines()[0]) from None
        return
    _run([exp], scale, seeds, runs_dir, results_dir, unsafe_no_sandbox, overrides, chosen)


@click.command("reproduce")
@click.option("--all", "run_all", is_flag=True, help="Every experiment, not only the main table.")
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--scale", type=click.Choice(SCALES), default="tiny", show_default=True)
@click.option("--dry-run", is_flag=True,
              help="Print what each experiment adds (stages, estimated cost and time) only.")
@runs_option
@results_option
@set_option
@unsafe_option
def reproduce_cmd(run_all: bool, seeds: int, scale: str, dry_run: bool, runs_dir: Path,
                  results_dir: Path, overrides: tuple[str, ...], unsafe_no_sandbox: bool) -> None:
    """The main table at the tiny scale (with --all: every experiment), then the verdicts."""
    import experiments

    chosen = experiments.all_experiments() if run_all else [experiments.load("main_7b")]
    if dry_run:
        from artifact.pipeline.plan import print_experiments_plan

        try:
            print_experiments_plan(chosen, scale, seeds, list(overrides))
        except (ValueError, KeyError) as exc:
            raise UserError(str(exc).splitlines()[0]) from None
        return
    _run(chosen, scale, seeds, runs_dir, results_dir, unsafe_no_sandbox, overrides)


def _run(chosen, scale: str, seeds: int, runs_dir: Path, results_dir: Path, unsafe: bool,
         overrides: tuple[str, ...] = (), rows: list[str] | None = None) -> None:
    from artifact.pipeline.experiment import run_experiment
    from artifact.report.compare import print_comparison

    start = time.time()
    results = []
    for exp in chosen:
        try:
            results.append(run_experiment(exp, scale, seeds, runs_dir, results_dir, unsafe,
                                          list(overrides), rows))
        except (ValueError, FileNotFoundError) as exc:
            raise UserError(str(exc).splitlines()[0]) from None
    print_comparison(results)
    Console().print(f"wall time: {(time.time() - start) / 60:.1f} min")


@click.command("compare")
@click.option("--scale", type=click.Choice(SCALES), default=None, help="Default: every scale run.")
@results_option
def compare_cmd(scale: str | None, results_dir: Path) -> None:
    """Measured vs reported, with a verdict per claim, from the results already written."""
    from artifact.report.compare import print_comparison
    from artifact.report.results import load_results

    if not results_dir.is_dir():
        raise UserError(f"{results_dir}: no results yet (run `oec reproduce` or `oec run`)")
    results = load_results(results_dir, scale)
    if not results:
        raise UserError(f"{results_dir}: no experiment results" + (f" at scale {scale}" if scale else ""))
    print_comparison(results)

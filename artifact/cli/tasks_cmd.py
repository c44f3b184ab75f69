"""`oec tasks ...`: build and inspect task suites."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from artifact.cli.common import SuiteProgress, progress_bar, unsafe_option
from artifact.cli.errors import UserError
from artifact.tasks.schema import load_tasks
from artifact.tasks.tiny_suite.build import SUGGESTED_FIX_SHARE, build_suite


@click.group()
def tasks() -> None:
    """Build and inspect task suites."""


@tasks.command("build")
@click.option("--suite", type=click.Choice(["tiny"]), default="tiny", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True, help="Parallel sandboxed test runners.")
@click.option("--force", is_flag=True, help="Rebuild even if an identical build exists.")
@click.option("--suggested-fix-share", type=float, default=SUGGESTED_FIX_SHARE, show_default=True,
              help="Share of issues whose reporter suggests the fix (the suite's difficulty knob).")
@unsafe_option
def build(suite: str, out: Path, seed: int, workers: int, force: bool, suggested_fix_share: float,
          unsafe_no_sandbox: bool) -> None:
    """Inject bugs into the bundled repositories and keep those the tests catch."""
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: not a folder")
    if not 0.0 <= suggested_fix_share <= 1.0:
        raise UserError(f"--suggested-fix-share must lie between 0 and 1, got {suggested_fix_share}")
    with progress_bar() as progress:
        summary = build_suite(out, seed=seed, workers=workers, force=force,
                              suggested_fix_share=suggested_fix_share, unsafe_no_sandbox=unsafe_no_sandbox,
                              progress=SuiteProgress(progress))
    console = Console()
    state = "cached (identical inputs)" if summary.cached else f"built in {summary.seconds:.1f} s"
    console.print(f"[bold]{suite} suite[/] {state}: {out}")
    table = Table("count", "value")
    for key, value in summary.counts.items():
        table.add_row(key, str(value))
    console.print(table)


@tasks.command("show")
@click.argument("tasks_file", type=click.Path(path_type=Path))
@click.option("--limit", type=int, default=10, show_default=True)
def show(tasks_file: Path, limit: int) -> None:
    """List the tasks of a task file."""
    loaded = load_tasks(tasks_file)
    table = Table("instance_id", "F2P", "P2P", title=f"{len(loaded)} tasks in {tasks_file}")
    for task in loaded[:limit]:
        table.add_row(task.instance_id, str(len(task.FAIL_TO_PASS)), str(len(task.PASS_TO_PASS)))
    Console().print(table)

"""`oec build-dataset`: filter generated trajectories and write loss-flagged chat examples."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from artifact.cli.errors import UserError
from artifact.data.build import (
    BuildConfig,
    DatasetError,
    Source,
    SourceReport,
    build,
    manifest_path,
    write_dataset,
)
from artifact.data.examples import HISTORIES, MASKINGS
from artifact.data.filters import RepetitionRule


def _table(reports: list[SourceReport]) -> Table:
    table = Table(title="build-dataset")
    for column in ("source", "found", "resolved drop", "repetition drop", "max-chars drop",
                   "zero-loss drop", "survived", "taken", "examples", "loss msgs / msgs"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for r in reports:
        d = r.dropped
        table.add_row(r.source, str(r.found), str(d["resolved"]), str(d["repetition"]),
                      str(d["max_chars"]), str(d["zero_loss"]), str(r.survived), str(r.taken),
                      str(r.examples), f"{r.loss_messages} / {r.messages}")
    return table


@click.command("build-dataset")
@click.option("--from", "sources", multiple=True, required=True, metavar="DIR[:N]",
              help="Generation output folder (or folder of trajectory JSON); :N samples N "
                   "trajectories after filtering. Repeat to mix sources.")
@click.option("--masking", type=click.Choice(MASKINGS), required=True,
              help="expert_only: loss on the expert's turns; all_assistant: on every turn.")
@click.option("--history", type=click.Choice(HISTORIES), default="last", show_default=True,
              help="last: one example per trajectory (last request's context); per-turn: one "
                   "example per loss turn with its exact request (quadratic).")
@click.option("--no-resolved-filter", is_flag=True, help="Keep unresolved trajectories too.")
@click.option("--no-repetition-filter", is_flag=True, help="Keep repetitive trajectories.")
@click.option("--repeat-limit", type=click.IntRange(min=2), default=3, show_default=True,
              help="Drop when the same action occurs this many times in a row.")
@click.option("--duplicate-fraction", type=click.FloatRange(0, 1), default=0.5,
              show_default=True, help="Drop when more than this fraction of actions are repeats.")
@click.option("--max-chars", type=click.IntRange(min=1), default=None,
              help="Drop trajectories whose example holds more characters than this.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the :N samples.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="JSONL to write (a FILE.manifest.json is written beside it).")
def build_dataset_cmd(sources: tuple[str, ...], masking: str, history: str,
                      no_resolved_filter: bool, no_repetition_filter: bool, repeat_limit: int,
                      duplicate_fraction: float, max_chars: int | None, seed: int,
                      out: Path) -> None:
    """Filter trajectories (resolved, repetition, size), mask loss, write JSONL examples."""
    config = BuildConfig(masking=masking, history=history,
                         resolved_filter=not no_resolved_filter,
                         repetition_filter=not no_repetition_filter,
                         repetition=RepetitionRule(repeat_limit, duplicate_fraction),
                         max_chars=max_chars, seed=seed)
    try:
        parsed = [Source.parse(spec) for spec in sources]
        dataset, reports = build(parsed, config)
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    write_dataset(out, dataset, reports, parsed, config)
    console = Console()
    console.print(_table(reports))
    zero = sum(r.dropped["zero_loss"] for r in reports)
    if zero:
        console.print(f"dropped {zero} trajectories with no loss messages (masking={masking})")
    loss = sum(e.loss_messages for e in dataset)
    console.print(f"wrote {len(dataset)} examples ({loss} loss messages) to {out}; "
                  f"manifest {manifest_path(out)}")

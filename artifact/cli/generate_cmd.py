"""`oec generate`: rollouts of one data strategy, resumable, with a live display."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from artifact.cli.common import check_forkable, local_runtime, unsafe_option
from artifact.cli.errors import UserError
from artifact.generation.generate import (
    STRATEGIES,
    GenerateConfig,
    generate,
    parse_shard,
    plan_jobs,
)
from artifact.policies.base import PolicyError
from artifact.policies.factory import role_policy
from artifact.tasks.schema import load_tasks


def _status_table(stats, total: int) -> Table:
    table = Table("done", "resolved", "errors", "skipped (resumed)", "tokens/s", title="oec generate")
    table.add_row(f"{stats.done + stats.skipped}/{total}", str(stats.resolved), str(stats.errors),
                  str(stats.skipped), f"{stats.tokens_per_second:.0f}")
    return table


@click.command("generate")
@click.option("--tasks", "tasks_file", type=click.Path(path_type=Path), required=True)
@click.option("--strategy", required=True, help=f"One of: {', '.join(STRATEGIES)}.")
@click.option("--student", default=None, help="Model folder or http(s) URL (`http://host:port/v1#model`).")
@click.option("--expert", default="scripted", show_default=True, help="`scripted` or an http(s) URL.")
@click.option("--seeds", type=int, default=1, show_default=True, help="Rollouts per task (seeds 0..N-1).")
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--processes", is_flag=True,
              help="Forked worker processes instead of threads: faster for a local CPU model, "
                   "whose decoding holds Python's GIL (not for http(s) endpoints).")
@click.option("--shard", default="0/1", show_default=True, help="i/n: run every n-th rollout from i.")
@click.option("--switch-range", default="0,30", show_default=True, help="OEC switch step k range lo,hi (inclusive).")
@click.option("--beta", type=float, default=0.5, show_default=True, help="DAgger per-step expert probability.")
@click.option("--call-limit", type=int, default=75, show_default=True, help="Model calls per policy.")
@click.option("--temperature", type=float, default=0.0, show_default=True, help="Student sampling temperature.")
@click.option("--top-p", type=float, default=1.0, show_default=True)
@click.option("--max-new-tokens", type=int, default=512, show_default=True)
@click.option("--limit", type=int, default=None, help="Only the first N tasks.")
@click.option("--stuck-after", type=click.IntRange(min=0), default=0, show_default=True,
              help="On-policy only: end a rollout when the same action gave the same output N "
                   "times (0: never).")
@unsafe_option
def generate_cmd(tasks_file: Path, strategy: str, student: str | None, expert: str, seeds: int, workers: int,
                 out: Path, shard: str, switch_range: str, beta: float, call_limit: int, temperature: float,
                 top_p: float, max_new_tokens: int, limit: int | None, stuck_after: int,
                 processes: bool, unsafe_no_sandbox: bool) -> None:
    """Generate trajectories: bc (expert only), on-policy (student only), oec (student, then the
    expert from a random step k), dagger (per-step mixing). Rerun to resume."""
    if strategy not in STRATEGIES:
        raise UserError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    try:
        lo, hi = (int(x) for x in switch_range.split(","))
        config = GenerateConfig(strategy, seeds=seeds, switch_range=(lo, hi), beta=beta, call_limit=call_limit,
                                shard=parse_shard(shard), student=student, expert=expert,
                                agent={"stuck_after": stuck_after} if stuck_after else {})
        config.check()
    except ValueError as exc:
        raise UserError(str(exc).splitlines()[0]) from None
    tasks = load_tasks(tasks_file)[:limit]
    need_student, need_expert = config.needs()
    if need_student and not student:
        raise UserError(f"strategy {strategy} needs --student (a model folder or URL)")
    if processes:
        check_forkable(*(spec for spec, needed in ((student, need_student), (expert, need_expert))
                         if needed))
    try:
        student_policy = role_policy(student, "student", temperature, top_p, max_new_tokens) if need_student else None
        expert_policy = role_policy(expert, "expert", 0.0, 1.0, max_new_tokens) if need_expert else None
    except (ValueError, OSError, PolicyError) as exc:
        raise UserError(str(exc).splitlines()[0]) from None
    runtime = local_runtime(tasks_file, unsafe_no_sandbox, hide=(out,), tasks=tasks)
    total = len(plan_jobs(tasks, config, out))
    with Live(refresh_per_second=4, console=Console()) as live:
        try:
            records = generate(tasks, config, student_policy, expert_policy, runtime, out, str(tasks_file),
                               workers=workers, processes=processes,
                               on_progress=lambda s: live.update(_status_table(s, total)))
        except ValueError as exc:
            raise UserError(str(exc).splitlines()[0]) from None
    resolved = sum(r.resolved for r in records)
    Console().print(f"{len(records)} trajectories, {resolved} resolved -> {out / 'trajectories'}")

"""`oec rollout`: one rollout, shown message by message."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.panel import Panel

from artifact.agent.loop import AgentConfig
from artifact.cli.common import check_policy, expert_factory, local_runtime, unsafe_option
from artifact.generation.runner import RolloutJob, run_one
from artifact.tasks.schema import find_task, load_tasks


@click.command("rollout")
@click.option("--tasks", "tasks_file", type=click.Path(path_type=Path), required=True)
@click.option("--task-id", required=True)
@click.option("--policy", default="expert", show_default=True, help="Who acts: expert.")
@click.option("--perturb", is_flag=True, help="Start from a damaged workspace (a random student acts first).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Trajectory file to write.")
@unsafe_option
def rollout_cmd(tasks_file: Path, task_id: str, policy: str, perturb: bool, seed: int,
                out: Path | None, unsafe_no_sandbox: bool) -> None:
    """Run one rollout on one task and show the conversation."""
    check_policy(policy)
    task = find_task(load_tasks(tasks_file), task_id, str(tasks_file))
    runtime = local_runtime(tasks_file, unsafe_no_sandbox, tasks=[task])
    out = out or Path(tempfile.mkdtemp(prefix="oec-rollout-")) / f"{task_id}.json"
    record = run_one(RolloutJob(task, "rollout", seed, out), expert_factory(perturb), runtime, AgentConfig())
    show_trajectory(record.messages, Console())
    status = "[green]resolved[/]" if record.resolved else "[red]not resolved[/]"
    Console().print(f"exit: [bold]{record.exit_status}[/]  grade: {status}  trajectory: {out}")


def show_trajectory(messages: list[dict], console: Console) -> None:
    for i, message in enumerate(messages):
        if message["role"] == "assistant":
            style, title = "green", f"[{i}] {message.get('author', 'assistant')}"
        elif message.get("kind") == "observation":
            style, title = "blue", f"[{i}] observation"
        else:
            style, title = "dim", f"[{i}] {message.get('kind', message['role'])}"
        text = message["content"]
        if len(text) > 3000:
            text = text[:3000] + f"\n... ({len(text) - 3000} more characters)"
        console.print(Panel(text, title=title, border_style=style, title_align="left"))

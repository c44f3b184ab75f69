"""Options and builders shared by several commands."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from artifact.cli.errors import UserError
from artifact.policies.base import Policy
from artifact.policies.expert_takeover import ContinuingExpert
from artifact.policies.factory import is_endpoint, role_policy
from artifact.policies.perturber import Perturber
from artifact.policies.schedules import always_expert, fixed, never
from artifact.policies.switching import DEFAULT_CALL_LIMIT, SwitchingPolicy
from artifact.runtime.local import LocalRuntime
from artifact.runtime.sandbox import SandboxConfig
from artifact.tasks.schema import Task
from artifact.tasks.tiny_suite.build import REPOS_DIR

TOOLS_DIR = Path(__file__).resolve().parents[1] / "tools" / "bin"

unsafe_option = click.option(
    "--unsafe-no-sandbox", is_flag=True,
    help="Run commands without an OS sandbox (only when bubblewrap/unshare are unavailable).")


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[info]}"), TimeElapsedColumn(), transient=False)


class SuiteProgress:
    """Adapter giving a rich Progress the `info` field the suite builder's progress expects."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def add_task(self, description: str, total: int) -> int:
        return self.progress.add_task(description, total=total, info="")

    def update(self, task_id: int, **kwargs) -> None:
        self.progress.update(task_id, **kwargs)


def local_runtime(tasks_file: Path, unsafe: bool, hide: tuple[Path, ...] = (),
                  tasks: Iterable[Task] = ()) -> LocalRuntime:
    """The sandboxed local runtime for `tasks`. A repository missing from disk (a task file copied
    without the `repos/` folder beside it) is one clear error, not one runtime_error per rollout."""
    for task in tasks:
        if task.repo_path and not Path(task.repo_path).exists():
            raise UserError(f"{tasks_file}: {task.instance_id}: repository {task.repo_path} "
                            "not found (relative repo_path values are read from the task file's "
                            "folder)")
    # Hide everything that holds answers (task files with gold patches, the clean repositories).
    hidden = tuple(str(p.resolve()) for p in (tasks_file.parent, REPOS_DIR, *hide) if p.exists())
    config = SandboxConfig(hidden_paths=hidden)
    return LocalRuntime(config, unsafe_no_sandbox=unsafe, tools_dir=TOOLS_DIR)


def expert_factory(perturb: bool = False, call_limit: int = DEFAULT_CALL_LIMIT):
    """Rollouts by the scripted expert; with `perturb`, a damaging student acts first (2-5 calls)."""

    def make(task: Task, seed: int, workdir: str) -> Policy:
        expert = ContinuingExpert(task, seed, workdir)
        if not perturb:
            return SwitchingPolicy(None, expert, always_expert().bind(task.instance_id, seed), call_limit)
        k = random.Random(f"perturb-k:{task.instance_id}:{seed}").randint(2, 5)
        return SwitchingPolicy(Perturber(task, seed, workdir), expert, fixed(k).bind(task.instance_id, seed),
                               call_limit)

    return make


def student_factory(spec: str, call_limit: int = DEFAULT_CALL_LIMIT, max_new_tokens: int = 512):
    """Rollouts by a student alone (greedy, as in the paper's evaluation)."""
    student = role_policy(spec, "student", temperature=0.0, max_new_tokens=max_new_tokens)

    def make(task: Task, seed: int, workdir: str) -> Policy:
        return SwitchingPolicy(student(task, seed, workdir), None, never().bind(task.instance_id, seed), call_limit)

    return make


def check_forkable(*specs: str) -> None:
    """--processes forks the rollout workers: an endpoint's open connection would be shared."""
    for spec in specs:
        if is_endpoint(spec):
            raise UserError(f"--processes is for local models and the scripted expert, not the "
                            f"endpoint {spec} (its rollouts wait on the network: use threads)")


def check_policy(policy: str) -> None:
    if policy != "expert":
        raise UserError(f"unknown policy {policy!r}: this version supports --policy expert")

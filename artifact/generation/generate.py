"""`oec generate`: rollouts of one data strategy over a task file, one trajectory file per
(task, strategy, seed). Behavioural cloning, on-policy, OEC and DAgger all come out of one
SwitchingPolicy; only the schedule differs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from artifact.agent.loop import AgentConfig
from artifact.agent.trajectory import Trajectory, write_json_atomic
from artifact.generation.provenance import provenance
from artifact.generation.runner import RolloutJob, RunStats, run_jobs, trajectory_path
from artifact.policies.base import Policy
from artifact.policies.schedules import Schedule, always_expert, dagger, never, random_step_range
from artifact.policies.switching import DEFAULT_CALL_LIMIT, SwitchingPolicy
from artifact.runtime.base import Runtime
from artifact.tasks.schema import Task

STRATEGIES = ("bc", "on-policy", "oec", "dagger")

# (task, seed, workdir) -> a fresh policy for one rollout, or None when the strategy needs none
RolePolicy = Callable[[Task, int, str], Policy]


@dataclass
class GenerateConfig:
    strategy: str
    seeds: int = 1
    first_seed: int = 0  # rollouts use seeds first_seed .. first_seed + seeds - 1
    switch_range: tuple[int, int] = (0, 30)  # paper: k ~ U{0..30}
    beta: float = 0.5  # dagger mixing probability
    call_limit: int = DEFAULT_CALL_LIMIT
    shard: tuple[int, int] = (0, 1)  # (i, n): this process takes every n-th job starting at i
    student: str | None = None
    expert: str | None = None
    agent: dict = field(default_factory=dict)

    def schedule(self) -> Schedule:
        if self.strategy == "bc":
            return always_expert()
        if self.strategy == "on-policy":
            return never()
        if self.strategy == "oec":
            return random_step_range(*self.switch_range)
        if self.strategy == "dagger":
            return dagger(self.beta)
        raise ValueError(f"unknown strategy {self.strategy!r}; choose from {', '.join(STRATEGIES)}")

    def check(self) -> Schedule:
        """The schedule, once the settings are known to fit together (else a ValueError)."""
        schedule = self.schedule()
        if self.needs()[1] and self.agent.get("stuck_after"):
            # A looping student is the state an expert takes over from (OEC, DAgger).
            raise ValueError("stuck_after stops rollouts without an expert (on-policy), not "
                             f"{self.strategy}")
        return schedule

    def needs(self) -> tuple[bool, bool]:
        """(needs a student, needs an expert)."""
        return self.strategy != "bc", self.strategy != "on-policy"


def parse_shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise ValueError(f"--shard i/n needs 0 <= i < n, got {text!r}")
    return i, n


def plan_jobs(tasks: list[Task], config: GenerateConfig, out_dir: Path) -> list[RolloutJob]:
    i, n = config.shard
    jobs = [RolloutJob(t, config.strategy, seed, trajectory_path(out_dir, t.instance_id, config.strategy, seed))
            for t in tasks for seed in range(config.first_seed, config.first_seed + config.seeds)]
    return jobs[i::n]


def write_manifest(out_dir: Path, config: GenerateConfig, tasks_file: str) -> None:
    """Record what produced this folder; refuse to mix a different configuration into it."""
    path = out_dir / "manifest.json"
    record = {k: v for k, v in asdict(config).items() if k != "shard"}
    record["tasks_file"] = str(tasks_file)
    if path.is_file():
        previous = json.loads(path.read_text())
        if previous.get("config") != json.loads(json.dumps(record)):
            raise ValueError(f"{out_dir} holds rollouts of a different configuration (see {path}); "
                             "use another --out")
    write_json_atomic(path, {"config": record, "provenance": provenance()}, indent=1)


def clean_partial_writes(out_dir: Path) -> None:
    """Temporary files left by a killed run (the atomic writes' halves) are removed."""
    for tmp in (out_dir / "trajectories").glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def generate(tasks: list[Task], config: GenerateConfig, student: RolePolicy | None, expert: RolePolicy | None,
             runtime: Runtime, out_dir: str | Path, tasks_file: str = "", workers: int = 1,
             on_progress: Callable[[RunStats], None] | None = None,
             processes: bool = False) -> list[Trajectory]:
    out_dir = Path(out_dir)
    schedule = config.check()
    need_student, need_expert = config.needs()
    if need_student and student is None:
        raise ValueError(f"strategy {config.strategy} needs --student")
    if need_expert and expert is None:
        raise ValueError(f"strategy {config.strategy} needs --expert")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(out_dir, config, tasks_file)
    clean_partial_writes(out_dir)

    def make_policy(task: Task, seed: int, workdir: str) -> Policy:
        return SwitchingPolicy(
            student(task, seed, workdir) if need_student else None,
            expert(task, seed, workdir) if need_expert else None,
            schedule.bind(task.instance_id, seed), config.call_limit)

    agent = AgentConfig(**config.agent)
    return run_jobs(plan_jobs(tasks, config, out_dir), make_policy, runtime, agent, workers=workers,
                    on_progress=on_progress, processes=processes)

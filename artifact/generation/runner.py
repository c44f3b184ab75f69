"""Run many rollouts concurrently: one trajectory file per (task, strategy, seed), written
atomically after every step, graded when finished. Rerunning skips finished, graded files and redoes
unfinished ones, so a killed run resumes where it stopped."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from artifact.agent.loop import AgentConfig, run_agent
from artifact.agent.trajectory import Trajectory
from artifact.grading.grade import grade_patch
from artifact.policies.base import Policy
from artifact.runtime.base import Runtime
from artifact.tasks.schema import Task

PolicyFactory = Callable[[Task, int, str], Policy]  # (task, seed, workdir) -> policy for one rollout


@dataclass
class RolloutJob:
    task: Task
    strategy: str
    seed: int
    path: Path

    @property
    def log_path(self) -> Path:
        return self.path.with_suffix(".test.log")


def trajectory_path(out_dir: Path, instance_id: str, strategy: str, seed: int) -> Path:
    return out_dir / "trajectories" / f"{instance_id}__{strategy}__s{seed}.json"


def is_done(path: Path) -> bool:
    """A finished, graded trajectory; anything else (missing, partial, corrupt) is redone."""
    try:
        record = Trajectory.load(path)
    except (OSError, ValueError, TypeError):
        return False
    return record.finished and record.report is not None


def run_one(job: RolloutJob, make_policy: PolicyFactory, runtime: Runtime, config: AgentConfig,
            schedule: dict | None = None, grade: bool = True) -> Trajectory:
    record = Trajectory(job.task.instance_id, job.strategy, job.seed, schedule=schedule or {},
                        config={"agent": vars(config)})
    try:
        session = runtime.start(job.task)
    except Exception as exc:  # noqa: BLE001 - a task whose workspace cannot start is recorded
        record.exit_status, record.error = "runtime_error", f"runtime start failed: {exc}"
        record.save(job.path, durable=True)
    else:
        try:
            policy = make_policy(job.task, job.seed, session.workdir)
            describe = getattr(getattr(policy, "schedule", None), "describe", None)
            record.schedule = describe() if describe else record.schedule
            run_agent(job.task, session, policy, record, config, save_to=job.path)
        finally:
            session.close()
    if grade:
        result = grade_patch(job.task, record.patch, runtime, job.log_path, model_name=job.strategy)
        record.report = result.report
        record.save(job.path, durable=True)
    return record


@dataclass
class RunStats:
    done: int = 0
    resolved: int = 0
    errors: int = 0
    skipped: int = 0
    tokens: int = 0
    started: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        elapsed = time.time() - self.started
        return self.tokens / elapsed if elapsed > 0 else 0.0


def run_jobs(jobs: list[RolloutJob], make_policy: PolicyFactory, runtime: Runtime,
             config: AgentConfig | None = None, workers: int = 1, grade: bool = True,
             on_progress: Callable[[RunStats], None] | None = None) -> list[Trajectory]:
    config = config or AgentConfig()
    stats = RunStats(started=time.time())
    lock = threading.Lock()
    results: list[Trajectory] = []
    todo = []
    for job in jobs:
        if is_done(job.path):
            results.append(Trajectory.load(job.path))
            stats.skipped += 1
        else:
            todo.append(job)

    def finish(record: Trajectory) -> None:
        with lock:
            results.append(record)
            stats.done += 1
            stats.resolved += int(record.resolved)
            stats.errors += int(record.exit_status == "runtime_error")
            stats.tokens += sum(m.get("prompt_tokens", 0) + m.get("completion_tokens", 0)
                                for m in record.assistant_messages())
            if on_progress:
                on_progress(stats)

    if on_progress:
        on_progress(stats)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(run_one, job, make_policy, runtime, config, None, grade) for job in todo]
        for future in as_completed(futures):
            finish(future.result())
    order = {job.path.name: i for i, job in enumerate(jobs)}
    results.sort(key=lambda r: order.get(f"{r.instance_id}__{r.strategy}__s{r.seed}.json", 0))
    return results


def exit_status_counts(records: list[Trajectory]) -> dict[str, int]:
    return dict(sorted(Counter(r.exit_status or "unfinished" for r in records).items()))

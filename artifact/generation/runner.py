"""Run many rollouts concurrently: one trajectory file per (task, strategy, seed), written
atomically after every step, graded when finished. Rerunning skips finished, graded files and redoes
unfinished ones, so a killed run resumes where it stopped."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from artifact.agent.loop import AgentConfig, run_agent
from artifact.agent.trajectory import Trajectory
from artifact.generation.worker_processes import fork_available, run_forked
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


def load_finished(path: Path) -> Trajectory | None:
    """A finished, graded trajectory; anything else (missing, partial, corrupt) is redone."""
    try:
        record = Trajectory.load(path)
    except (OSError, ValueError, TypeError):
        return None
    return record if record.finished and record.report is not None else None


def run_one(job: RolloutJob, make_policy: PolicyFactory, runtime: Runtime, config: AgentConfig,
            grade: bool = True) -> Trajectory:
    record = Trajectory(job.task.instance_id, job.strategy, job.seed, config={"agent": vars(config)})
    try:
        session = runtime.start(job.task)
    except Exception as exc:  # noqa: BLE001 - a task whose workspace cannot start is recorded
        record.exit_status, record.error = "runtime_error", f"runtime start failed: {exc}"
        record.save(job.path, durable=True)
    else:
        try:
            policy = make_policy(job.task, job.seed, session.workdir)
            describe = getattr(getattr(policy, "schedule", None), "describe", None)
            record.schedule = describe() if describe else {}
            run_agent(job.task, session, policy, record, config, save_to=job.path)
        finally:
            session.close()
    if grade:
        try:
            record.report = grade_patch(job.task, record.patch, runtime, job.log_path,
                                        model_name=job.strategy).report
        except Exception as exc:  # noqa: BLE001 - grading that breaks fails closed
            record.report = {"resolved": False, "error": f"grading failed: {exc}"}
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
             on_progress: Callable[[RunStats], None] | None = None,
             processes: bool = False) -> list[Trajectory]:
    """Run every job not finished yet; return all jobs' trajectories in job order. `processes`:
    forked worker processes instead of threads (local CPU models; see worker_processes.py)."""
    config = config or AgentConfig()
    stats = RunStats(started=time.time())
    results: list[Trajectory | None] = [load_finished(job.path) for job in jobs]
    todo = [i for i, record in enumerate(results) if record is None]
    stats.skipped = len(jobs) - len(todo)
    if on_progress:
        on_progress(stats)

    def finished(i: int, record: Trajectory) -> None:  # stats are only touched in this thread
        results[i] = record
        stats.done += 1
        stats.resolved += int(record.resolved)
        stats.errors += int(record.exit_status == "runtime_error")
        stats.tokens += sum(m.get("prompt_tokens", 0) + m.get("completion_tokens", 0)
                            for m in record.assistant_messages())
        if on_progress:
            on_progress(stats)

    def run(i: int) -> Trajectory:
        return run_one(jobs[i], make_policy, runtime, config, grade)

    if processes and workers > 1 and len(todo) > 1 and fork_available():
        run_forked(todo, run, workers, finished)
    else:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(run, i): i for i in todo}
            for future in as_completed(futures):
                finished(futures[future], future.result())
    return [r for r in results if r is not None]


def exit_status_counts(records: list[Trajectory]) -> dict[str, int]:
    return dict(sorted(Counter(r.exit_status or "unfinished" for r in records).items()))

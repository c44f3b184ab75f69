"""The pipeline's stages as cached, resumable functions: task suite -> rollouts -> dataset ->
trained model -> evaluation. Each takes a spec, returns its output folder (or report) and skips
work a previous run finished; each calls the same artifact code as its `oec` command."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from artifact.agent.loop import AgentConfig
from artifact.cli.common import SuiteProgress, local_runtime, progress_bar, student_factory
from artifact.data.build import BuildConfig, Source, build, write_dataset
from artifact.evaluate.evaluate import evaluate
from artifact.generation.generate import GenerateConfig, generate
from artifact.pipeline.store import RunStore
from artifact.policies.factory import is_endpoint, role_policy
from artifact.tasks.schema import load_tasks
from artifact.tasks.tiny_suite.build import build_suite

console = Console()


def model_identity(path: str | Path) -> str:
    """What a model folder is, independent of where it lives: its SHA256SUMS (committed weights)
    or the digest of its weights file names and sizes (a trained stage output)."""
    folder = Path(path)
    sums = folder / "SHA256SUMS"
    if sums.is_file():
        return "sha256:" + hashlib.sha256(sums.read_bytes()).hexdigest()[:16]
    done = folder / "done.json"
    if done.is_file():  # a model stage: its spec digest is its identity
        return "stage:" + folder.name
    return str(folder.resolve())


@dataclass
class Settings:
    """Run-wide settings of one scale (from the `[pipeline]` config section)."""
    workers: int = 2
    call_limit: int = 75
    max_new_tokens: int = 256
    temperature: float = 0.0
    stuck_after: int = 0  # rollouts without an expert (evaluations, on-policy) end when stuck
    # Rollouts in forked processes instead of threads: for local CPU students (GIL-bound);
    # endpoint students keep threads (generation/worker_processes.py).
    processes: bool = False
    unsafe_no_sandbox: bool = False
    train_overrides: dict = field(default_factory=dict)


class Pipeline:
    def __init__(self, store: RunStore, settings: Settings, scale: str = "tiny"):
        self.store, self.settings, self.scale = store, settings, scale

    # -- tasks -----------------------------------------------------------------------------------
    def tiny_suite(self, seed: int = 0) -> tuple[Path, Path]:
        out = self.store.root / "tasks"
        console.rule("[bold]tasks[/] tiny suite")
        with progress_bar() as progress:
            summary = build_suite(out, seed=seed, workers=self.settings.workers,
                                  unsafe_no_sandbox=self.settings.unsafe_no_sandbox,
                                  progress=SuiteProgress(progress))
        console.print(f"tiny suite {'cached' if summary.cached else 'built'}: {summary.counts}")
        return out / "train.jsonl", out / "verified.jsonl"

    # -- rollouts --------------------------------------------------------------------------------
    def rollouts(self, strategy: str, tasks_file: Path, seed: int, limit: int | None = None,
                 student: str | None = None, switch_range: tuple[int, int] = (0, 30),
                 beta: float = 0.5) -> Path:
        s = self.settings
        seed = rollout_seed(strategy, "scripted", seed)
        stuck_after = s.stuck_after if strategy == "on-policy" else 0  # no expert to correct it
        spec = {"stage": "rollouts", "strategy": strategy, "tasks": _file_digest(tasks_file),
                "limit": limit, "seed": seed, "student": model_identity(student) if student else None,
                "expert": _scripted_expert_identity() if strategy != "on-policy" else None,
                "switch_range": list(switch_range) if strategy == "oec" else None,
                "beta": beta if strategy == "dagger" else None, "call_limit": s.call_limit,
                "max_new_tokens": s.max_new_tokens, "temperature": s.temperature}
        if stuck_after:  # only where it applies, so other pools keep their cached stages
            spec["stuck_after"] = stuck_after
        stage = self.store.stage("rollouts", f"{strategy}-s{seed}", spec)
        if stage.done():
            console.print(f"[dim]rollouts {strategy} seed {seed}: cached ({stage.path})[/]")
            return stage.path
        console.rule(f"[bold]rollouts[/] {strategy} seed {seed}")
        tasks = spread(load_tasks(tasks_file), limit)
        config = GenerateConfig(strategy, seeds=1, first_seed=seed, switch_range=switch_range,
                                beta=beta, call_limit=s.call_limit, student=student,
                                expert="scripted",
                                agent={"stuck_after": stuck_after} if stuck_after else {})
        need_student, need_expert = config.needs()
        student_policy = (role_policy(student, "student", s.temperature, 1.0, s.max_new_tokens)
                          if need_student else None)
        expert_policy = role_policy("scripted", "expert") if need_expert else None
        runtime = local_runtime(tasks_file, s.unsafe_no_sandbox, hide=(self.store.root,))
        with progress_bar() as progress:
            bar = progress.add_task(f"{strategy} s{seed}", total=len(tasks), info="")
            records = generate(tasks, config, student_policy, expert_policy, runtime, stage.path,
                               str(tasks_file), workers=s.workers,
                               processes=s.processes and not is_endpoint(student or ""),
                               on_progress=lambda st: progress.update(
                                   bar, completed=st.done + st.skipped,
                                   info=f"resolved {st.resolved}  {st.tokens_per_second:.0f} tok/s"))
        resolved = sum(r.resolved for r in records)
        stage.mark_done({"rollouts": len(records), "resolved": resolved})
        console.print(f"{strategy} seed {seed}: {resolved}/{len(records)} resolved")
        return stage.path

    def survivors(self, rollout_dir: Path, masking: str = "expert_only",
                  repetition_filter: bool = True) -> int:
        """How many trajectories of a rollout folder pass the filters (for matched counts)."""
        config = BuildConfig(masking=masking, repetition_filter=repetition_filter)
        try:
            _, reports = build([Source(rollout_dir)], config)
        except ValueError:
            return 0
        return reports[0].survived

    # -- datasets --------------------------------------------------------------------------------
    def dataset(self, name: str, sources: list[tuple[Path, int]], masking: str = "expert_only",
                repetition_filter: bool = True, seed: int = 0) -> Path:
        spec = {"stage": "dataset", "sources": [[p.name, n] for p, n in sources], "masking": masking,
                "repetition_filter": repetition_filter, "seed": seed}
        stage = self.store.stage("datasets", name, spec)
        out = stage.path / "data.jsonl"
        if stage.done():
            return out
        config = BuildConfig(masking=masking, repetition_filter=repetition_filter, seed=seed)
        parsed = [Source(path, take) for path, take in sources]
        examples, reports = build(parsed, config)
        write_dataset(out, examples, reports, parsed, config)
        stage.mark_done({"examples": len(examples),
                         "trajectories": sum(r.taken for r in reports)})
        return out

    # -- training --------------------------------------------------------------------------------
    def trained(self, name: str, base: str, data: Path, seed: int = 0) -> Path:
        from artifact.train.config import TrainConfig
        from artifact.train.loop import Hooks, train

        spec = {"stage": "train", "base": model_identity(base), "data": data.parent.name,
                "seed": seed, "scale": self.scale, "train": self.settings.train_overrides}
        stage = self.store.stage("models", name, spec)
        if stage.done():
            console.print(f"[dim]model {name}: cached ({stage.path})[/]")
            return stage.path
        console.rule(f"[bold]train[/] {name}")
        config = TrainConfig.for_scale(self.scale, **{**self.settings.train_overrides, "seed": seed})
        with progress_bar() as progress:
            bar = progress.add_task(f"train {name}", total=None, info="")

            def on_step(step: int, entry: dict | None) -> None:
                progress.update(bar, completed=step,
                                **({"info": f"loss {entry['loss']:.3f}"} if entry else {}))

            hooks = Hooks(on_start=lambda total, done: progress.update(bar, total=total,
                                                                        completed=done),
                          on_step=on_step)
            result = train(config, data, Path(base), stage.path, hooks)
        stage.mark_done({"train": {k: v for k, v in vars(result).items()
                                   if isinstance(v, int | float | str)}})
        return stage.path

    # -- evaluation ------------------------------------------------------------------------------
    def evaluation(self, name: str, model: str, tasks_file: Path,
                   limit: int | None = None) -> tuple[dict, Path]:
        """(report, evaluation folder)."""
        s = self.settings
        spec = {"stage": "evaluate", "model": model_identity(model), "tasks": _file_digest(tasks_file),
                "limit": limit, "call_limit": s.call_limit, "max_new_tokens": s.max_new_tokens}
        if s.stuck_after:  # as for rollouts: evaluations without the stop keep their stages
            spec["stuck_after"] = s.stuck_after
        stage = self.store.stage("evals", name, spec)
        record = stage.done()
        if record:
            console.print(f"[dim]evaluate {name}: cached ({stage.path})[/]")
            return record["report"], stage.path
        console.rule(f"[bold]evaluate[/] {name}")
        tasks = spread(load_tasks(tasks_file), limit)
        factory = student_factory(str(model), s.call_limit, s.max_new_tokens)
        runtime = local_runtime(tasks_file, s.unsafe_no_sandbox, hide=(self.store.root,))
        with progress_bar() as progress:
            bar = progress.add_task(f"evaluate {name}", total=len(tasks), info="")
            report = evaluate(tasks, factory, runtime, stage.path, name, workers=s.workers,
                              processes=s.processes and not is_endpoint(str(model)),
                              config=AgentConfig(stuck_after=s.stuck_after),
                              on_progress=lambda st: progress.update(
                                  bar, completed=st.done + st.skipped,
                                  info=f"resolved {st.resolved}/{st.done + st.skipped}"))
        stage.mark_done({"report": report})
        console.print(f"{name}: resolve rate {report['resolve_rate']:.1%} (CI {report['ci95']})")
        return report, stage.path


def rollout_seed(strategy: str, expert: str, seed: int) -> int:
    """The seed whose rollouts a (strategy, seed) uses. The scripted expert draws nothing at
    random, so its BC rollouts take the same actions for every seed (two runs of 260 tasks: all
    actions and patches equal; only test timings in the outputs differ): all seeds share seed 0's,
    and their datasets still draw their own samples from it."""
    return 0 if strategy == "bc" and expert == "scripted" else seed


def _scripted_expert_identity() -> str:
    """The scripted expert's behaviour is its source: a changed script regenerates its rollouts."""
    from artifact.policies import expert_takeover, scripted_expert

    sources = (scripted_expert.__file__, expert_takeover.__file__)
    return "scripted:" + "+".join(_file_digest(Path(f))[:12] for f in sources)


def spread(tasks: list, limit: int | None) -> list:
    """`limit` tasks evenly spaced through the file (task files are grouped by repository, so the
    first N would be one repository), in file order; all of them without a limit."""
    if limit is None or limit >= len(tasks):
        return tasks
    return [tasks[i * len(tasks) // limit] for i in range(limit)]


def _file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]

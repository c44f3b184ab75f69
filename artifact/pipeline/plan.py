"""`oec run EXPERIMENT --dry-run`: the full plan of an experiment at a scale without running it.

The plan comes from the same grid walk as a real run (`run_seed`), driven by a recording stand-in
for the pipeline, so what is printed is what would run: every rollout set, dataset, training and
evaluation, with models, endpoints, images, counts and an estimated expert cost and GPU time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from artifact.configs import apply_overrides, load_scale
from artifact.pipeline.analyses import collect, describe, settings_for
from artifact.pipeline.grid import Experiment
from artifact.pipeline.run import ScalePlan, run_seed
from artifact.pipeline.stages import rollout_seed
from artifact.pipeline.store import slug, spec_digest


@dataclass
class Step:
    stage: str
    name: str
    detail: dict


@dataclass
class PlanningPipeline:
    """Has the Pipeline's stage methods; records each distinct stage once and runs nothing."""
    config: dict
    steps: list[Step] = field(default_factory=list)
    seen: set = field(default_factory=set)

    def _record(self, stage: str, name: str, detail: dict) -> Path:
        key = spec_digest({"stage": stage, **detail})
        if key not in self.seen:
            self.seen.add(key)
            self.steps.append(Step(stage, name, detail))
        return Path("<planned>") / stage / f"{slug(name)}-{key}"

    def tiny_suite(self) -> tuple[Path, Path]:
        tasks = self.config.get("tasks", {})
        return Path(tasks.get("train", "train")), Path(tasks.get("eval", "eval"))

    def rollouts(self, strategy, tasks_file, seed, limit=None, student=None, switch_range=(0, 30),
                 beta=0.5) -> Path:
        seed = rollout_seed(strategy, _expert(self.config), seed)
        return self._record("rollouts", f"{strategy}-s{seed}", {
            "strategy": strategy, "tasks": str(tasks_file), "n": limit, "seed": seed,
            "student": None if strategy == "bc" else student,
            "expert": None if strategy == "on-policy" else _expert(self.config),
            "switch_range": list(switch_range) if strategy == "oec" else None,
            "beta": beta if strategy == "dagger" else None})

    def survivors(self, rollout_dir, masking="expert_only", repetition_filter=True) -> int:
        return 10 ** 9  # unknown before generation: the budget decides

    def dataset(self, name, sources, masking="expert_only", repetition_filter=True, seed=0) -> Path:
        return self._record("datasets", name, {
            "sources": [[p.name, n] for p, n in sources], "masking": masking,
            "repetition_filter": repetition_filter, "seed": seed})

    def trained(self, name, base, data, seed=0) -> Path:
        return self._record("models", name, {"base": base, "data": data.name, "seed": seed,
                                             "trajectories": _trajectories(self, data)})

    def evaluation(self, name, model, tasks_file, limit=None):
        self._record("evals", name, {"model": model, "tasks": str(tasks_file), "n": limit})
        return {"resolve_rate": 0.0, "ci95": [0, 0], "n_tasks": 0, "exit_status_counts": {}}, \
            Path("<planned>")


def _expert(config: dict) -> str:
    e = config.get("expert", {})
    return e.get("model") or e.get("policy", "scripted")


def _trajectories(pipe: PlanningPipeline, data: Path) -> int:
    for step in pipe.steps:
        if step.stage == "datasets" and data.name.endswith(spec_digest({"stage": "datasets",
                                                                       **step.detail})):
            return sum(n for _, n in step.detail["sources"])
    return 0


def estimate(steps: list[Step], config: dict) -> dict:
    """Expert cost and GPU hours from the `[cost]` section's per-unit estimates, and at the CPU
    scales the minutes on 2 cores (`cpu_minutes`, None where the section gives no CPU rates)."""
    # Prices and tokens per call live in [expert], GPU-time rates in [cost].
    c = {**config.get("expert", {}), **config.get("cost", {})}
    expert_rollouts = sum(s.detail["n"] or 0 for s in steps
                          if s.stage == "rollouts" and s.detail["expert"])
    calls = expert_rollouts * c.get("expert_calls_per_trajectory", 0)
    dollars = calls * (c.get("input_tokens_per_call", 0) * c.get("usd_per_1m_input", 0)
                       + c.get("output_tokens_per_call", 0) * c.get("usd_per_1m_output", 0)) / 1e6
    trained = sum(s.detail["trajectories"] for s in steps if s.stage == "models")
    evals = sum(s.detail["n"] or c.get("eval_tasks_default", 500) for s in steps if s.stage == "evals")
    rollouts = sum(s.detail["n"] or 0 for s in steps if s.stage == "rollouts")
    gpu_hours = (trained / 1000 * c.get("train_gpu_hours_per_1k_trajectories", 0)
                 + (rollouts + evals) / 1000 * c.get("rollout_gpu_hours_per_1k", 0))
    return {"expert_rollouts": expert_rollouts, "expert_calls": calls,
            "expert_usd": round(dollars, 2), "gpu_hours": round(gpu_hours, 1),
            "cpu_minutes": _cpu_minutes(steps, c, config.get("train", {}).get("epochs", 1)),
            "assumptions": c}


def _cpu_minutes(steps: list[Step], c: dict, epochs: float) -> float | None:
    """Rollouts per strategy, evaluations per task, training per trajectory-epoch: the rates of
    the scale's [cost] section (measured stage times on 2 cores)."""
    rates = c.get("rollout_minutes_per_100")
    if not rates:
        return None
    minutes = 0.0
    for s in steps:
        if s.stage == "rollouts":
            minutes += (s.detail["n"] or 0) / 100 * rates.get(s.detail["strategy"],
                                                                max(rates.values()))
        elif s.stage == "evals":
            minutes += (s.detail["n"] or 0) / 100 * c["eval_minutes_per_100"]
        elif s.stage == "models":
            minutes += s.detail["trajectories"] * epochs / 100 * c["train_minutes_per_100_epochs"]
    return round(minutes, 1)


def _walk(exp: Experiment, config: dict, pipe: PlanningPipeline, seeds: int) -> None:
    """The stages a real run of `exp` would ask for, recorded in `pipe` (each distinct one once)."""
    plan = ScalePlan.from_config(config, exp.setting, config["student"]["base"])
    if exp.kind == "grid":
        for seed in range(seeds):
            run_seed(exp, plan, pipe, seed, quiet=True)
    else:  # an analysis: the stages it reads (the same walk as a real run), then its own step
        settings = settings_for(exp, config)
        for seed in range(seeds):
            collect(exp, plan, pipe, seed, settings, quiet=True)
        pipe.steps.append(Step("analysis", exp.kind, describe(exp, settings, plan)))


def build_plan(exp: Experiment, scale: str, seeds: int,
               overrides: list[str] = ()) -> tuple[list[Step], dict]:
    config = apply_overrides(load_scale(scale), list(overrides))
    pipe = PlanningPipeline(config)
    _walk(exp, config, pipe, seeds)
    return pipe.steps, estimate(pipe.steps, config)


def _minutes_cell(cost: dict) -> str:
    return "-" if cost["cpu_minutes"] is None else f"{cost['cpu_minutes']:,.0f}"


def _minutes_line(cost: dict) -> str:
    if cost["cpu_minutes"] is None:
        return ""
    return (f"; about {cost['cpu_minutes']:,.0f} min on 2 cores with nothing cached (+"
            f"{cost['assumptions'].get('suite_minutes', 0):g} min once for the task suite)")


def print_plan(exp: Experiment, scale: str, seeds: int, overrides: list[str] = (),
               console: Console | None = None) -> None:
    console = console or Console()
    config = apply_overrides(load_scale(scale), list(overrides))
    steps, cost = build_plan(exp, scale, seeds, overrides)
    console.print(f"[bold]{exp.name}[/] at scale {scale}, {seeds} seed(s): {exp.title}")
    runtime = config.get("runtime", {}).get("kind", "local")
    console.print(f"student base: {config['student']['base']}; expert: {_expert(config)} "
                  f"(endpoint from ${config.get('expert', {}).get('base_url_env', '-')}); "
                  f"runtime: {runtime}" + ("; images: one per instance (swebench/sweb.eval.x86_64.*"
                                           ", swebench/swesmith.x86_64.*)" if runtime == "docker"
                                           else ""))
    table = Table("#", "stage", "name", "what", title="plan (nothing runs with --dry-run)")
    for i, s in enumerate(steps, 1):
        what = ", ".join(f"{k}={v}" for k, v in s.detail.items() if v not in (None, [], ""))
        table.add_row(str(i), s.stage, s.name, what)
    console.print(table)
    console.print(f"estimated: {cost['expert_rollouts']:,} expert rollouts, "
                  f"{cost['expert_calls']:,} expert calls, ${cost['expert_usd']:,.0f} expert cost, "
                  f"{cost['gpu_hours']:,} GPU-hours (estimates from the \\[expert] and \\[cost] "
                  f"sections of artifact/configs/{scale}.toml)" + _minutes_line(cost))


def print_experiments_plan(exps: list[Experiment], scale: str, seeds: int,
                           overrides: list[str] = (), console: Console | None = None) -> dict:
    """`oec reproduce --dry-run`: per experiment, the stages it adds to those of the experiments
    before it (experiments share stages), with their estimates; returns the total estimate."""
    console = console or Console()
    config = apply_overrides(load_scale(scale), list(overrides))
    pipe = PlanningPipeline(config)
    table = Table(title=f"plan at scale {scale}, {seeds} seed(s) (nothing runs with --dry-run)")
    table.add_column("experiment", no_wrap=True)
    for column in ("new stages", "rollouts", "trainings", "evaluations", "expert cost",
                   "GPU-hours", "min on 2 cores"):
        table.add_column(column, justify="right")
    for exp in exps:
        before = len(pipe.steps)
        _walk(exp, config, pipe, seeds)
        new = pipe.steps[before:]
        cost = estimate(new, config)
        count = {k: sum(s.stage == k for s in new) for k in ("rollouts", "models", "evals")}
        table.add_row(exp.name, str(len(new)), str(count["rollouts"]), str(count["models"]),
                      str(count["evals"]), f"${cost['expert_usd']:,.0f}", f"{cost['gpu_hours']:,}",
                      _minutes_cell(cost))
    total = estimate(pipe.steps, config)
    table.add_row("[bold]all[/]", str(len(pipe.steps)), "", "", "", f"${total['expert_usd']:,.0f}",
                  f"{total['gpu_hours']:,}",
                  _minutes_cell(total))
    console.print(table)
    console.print("estimates from the \\[expert] and \\[cost] sections of "
                  f"artifact/configs/{scale}.toml" + _minutes_line(total))
    return total

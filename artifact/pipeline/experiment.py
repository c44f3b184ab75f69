"""Run an experiment end to end at a scale and write its results; or print its plan (--dry-run)."""

from __future__ import annotations

import json
import time
from dataclasses import fields
from pathlib import Path

from artifact.configs import apply_overrides, load_scale
from artifact.pipeline.analyses import run_analysis, settings_for
from artifact.pipeline.grid import Experiment
from artifact.pipeline.run import ScalePlan, run_seed
from artifact.pipeline.stages import Pipeline, Settings, console
from artifact.pipeline.store import RunStore
from artifact.report.analysis_results import build_analysis_result, write_analysis_result
from artifact.report.results import build_result, write_result

LOCAL_SCALES = ("tiny", "small")


def base_model_path(config: dict) -> str:
    base = config["student"]["base"]
    if base == "tiny-base":
        from artifact.models.tiny_base import WEIGHTS_DIR

        return str(WEIGHTS_DIR)
    if base == "smollm2-135m-instruct":
        from artifact.models.small import ensure_smollm2

        return str(ensure_smollm2())
    return base


def settings_from(config: dict, unsafe_no_sandbox: bool = False) -> Settings:
    p = config.get("pipeline", {})
    known = {f.name for f in fields(Settings)}
    # The whole [train] section goes into every model stage's spec: a changed recipe retrains.
    return Settings(**{k: v for k, v in p.items() if k in known},
                    unsafe_no_sandbox=unsafe_no_sandbox, train_overrides=config.get("train", {}))


def stage_times(root: Path, since: float) -> list[dict]:
    """The stages this run computed (their done.json written after `since`), in order, with the
    wall time each took: where an `oec reproduce` spends its time."""
    found = []
    for done in root.glob("*/*/done.json"):
        try:
            if done.stat().st_mtime < since:
                continue
            seconds = json.loads(done.read_text()).get("seconds")
        except (OSError, ValueError):
            continue
        if seconds is not None:
            found.append((done.stat().st_mtime, f"{done.parent.parent.name}/{done.parent.name}", seconds))
    return [{"stage": name, "seconds": seconds} for _, name, seconds in sorted(found)]


def run_experiment(exp: Experiment, scale: str, seeds: int, runs_dir: Path, results_dir: Path,
                   unsafe_no_sandbox: bool = False, overrides: list[str] = (),
                   rows: list[str] | None = None) -> dict:
    """`rows`: train and evaluate only these rows of a grid (matched counts and stages as in the
    full grid); the results are written as `<name>-<rows>`, beside the full table's."""
    shown = exp.subset(rows) if rows else exp
    if scale not in LOCAL_SCALES:
        raise ValueError(f"scale {scale} runs on a GPU cluster with docker: see REPRODUCE.md "
                         f"(`oec run {exp.name} --scale {scale} --dry-run` prints the plan)")
    config = apply_overrides(load_scale(scale), list(overrides))
    start = time.time()
    pipe = Pipeline(RunStore(Path(runs_dir) / scale), settings_from(config, unsafe_no_sandbox), scale)
    plan = ScalePlan.from_config(config, exp.setting, base_model_path(config))
    used = {"pipeline": config.get("pipeline", {}),
            "setting": config.get("setting", {}).get(exp.setting, {}),
            "train": config.get("train", {}), "student": config.get("student", {})}
    if exp.kind != "grid":  # an analysis of a grid's students (artifact.pipeline.analyses)
        settings = settings_for(exp, config)
        console.rule(f"[bold magenta]{exp.name}[/] scale {scale}, seeds 1..{seeds}")
        output = run_analysis(exp, plan, pipe, list(range(seeds)), settings)
        result = build_analysis_result(exp, scale, output, list(range(seeds)),
                                       {**used, "analysis": settings}, time.time() - start)
        path = write_analysis_result(result, results_dir)
        console.print(f"results: {path} (+ .md, .png)")
        return result
    per_seed = []
    for seed in range(seeds):
        console.rule(f"[bold magenta]{exp.name}[/] scale {scale}, seed {seed + 1}/{seeds}")
        per_seed.append(run_seed(exp, plan, pipe, seed, only=rows or None))
    result = build_result(shown, scale, per_seed, list(range(seeds)), used, time.time() - start)
    result["stage_seconds"] = stage_times(pipe.store.root, since=start)
    path = write_result(result, results_dir, shown.plot)
    console.print(f"results: {path} (+ .md, .png)")
    return result

"""Dry-run plans: what `oec run --dry-run` and `oec reproduce --dry-run` print, without a GPU, an
engine or any stage running."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from rich.console import Console

import experiments
from artifact.cli.main import cli
from artifact.pipeline.plan import Step, build_plan, estimate, print_experiments_plan

WIDE = {"COLUMNS": "250"}


@pytest.mark.parametrize(("scale", "student", "expert"), [
    ("7b", "Qwen/Qwen2.5-Coder-7B-Instruct", "SWE-agent-LM-32B"),
    ("32b", "Qwen/Qwen2.5-Coder-32B-Instruct", "claude"),
])
def test_gpu_dry_run_prints_models_endpoints_images_counts_and_cost(tmp_path, monkeypatch,
                                                                    scale, student, expert):
    monkeypatch.chdir(tmp_path)
    out = CliRunner(env=WIDE).invoke(cli, ["run", f"main_{scale}", "--scale", scale, "--dry-run"])
    assert out.exit_code == 0, out.output
    text = out.output
    assert student in text and expert.lower() in text.lower()
    assert "runtime: docker" in text and "swebench/sweb.eval.x86_64" in text
    assert "endpoint from $" in text and "GPU-hours" in text and "expert rollouts" in text
    assert "min on 2 cores" not in text  # CPU minutes only where the config gives CPU rates
    assert list(tmp_path.iterdir()) == []  # nothing ran, nothing was written


def test_cpu_minutes_follow_the_rates_by_hand():
    config = {"cost": {"rollout_minutes_per_100": {"bc": 2.0, "on-policy": 8.0},
                       "eval_minutes_per_100": 10.0, "train_minutes_per_100_epochs": 1.0},
              "train": {"epochs": 3}}
    steps = [Step("rollouts", "bc-s0", {"strategy": "bc", "n": 100, "expert": "scripted"}),
             Step("rollouts", "on-policy-s0", {"strategy": "on-policy", "n": 50, "expert": None}),
             Step("rollouts", "dagger-s0", {"strategy": "dagger", "n": 100, "expert": "scripted"}),
             Step("models", "bc200-s0", {"trajectories": 200}),
             Step("evals", "bc200-s0-x", {"n": 40})]
    # 2 + 4 + 8 (an unknown strategy takes the slowest rate) + 200 x 3 / 100 + 4
    assert estimate(steps, config)["cpu_minutes"] == pytest.approx(2 + 4 + 8 + 6 + 4)
    assert estimate(steps, {"train": {"epochs": 3}})["cpu_minutes"] is None


def test_tiny_seeds_share_the_scripted_experts_bc_rollouts_but_gpu_seeds_do_not():
    main = experiments.load("main_7b")
    tiny, _ = build_plan(main, "tiny", seeds=2)
    assert [s.name for s in tiny if s.stage == "rollouts" and s.detail["strategy"] == "bc"] == \
        ["bc-s0"]
    assert {s.name for s in tiny if s.stage == "rollouts"} >= {"oec-s0", "oec-s1"}
    gpu, _ = build_plan(main, "7b", seeds=2)
    assert [s.name for s in gpu if s.stage == "rollouts" and s.detail["strategy"] == "bc"] == \
        ["bc-s0", "bc-s1"]


def test_reproduce_plan_counts_shared_stages_once():
    seven, thirty_two = experiments.load("main_7b"), experiments.load("main_32b")
    alone = [build_plan(e, "tiny", 1)[1]["cpu_minutes"] for e in (seven, thirty_two)]
    sink = io.StringIO()
    total = print_experiments_plan([seven, thirty_two], "tiny", 1,
                                   console=Console(file=sink, width=200))
    # The 32B setting reuses the 7B setting's BC rollouts and base evaluation.
    assert 0 < total["cpu_minutes"] < sum(alone)
    text = sink.getvalue()
    assert "main_7b" in text and "main_32b" in text and "min on 2 cores" in text


def test_reproduce_dry_run_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = CliRunner(env=WIDE).invoke(cli, ["reproduce", "--all", "--seeds", "3", "--dry-run"])
    assert out.exit_code == 0, out.output
    for name in ("main_7b", "ablation_switch", "iterated_oec", "all"):
        assert name in out.output
    assert "min on 2 cores" in out.output
    assert list(tmp_path.iterdir()) == []

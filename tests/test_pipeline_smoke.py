"""The smoke path: the main table's grid end to end on a reduced budget (a few tasks, one epoch,
short rollouts), with the committed tiny-base, the real sandbox, real training and grading. It
proves the wiring, not the science; `oec reproduce` runs the calibrated budgets."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from click.testing import CliRunner

from artifact.cli.main import cli
from artifact.models.tiny_base import WEIGHTS_DIR

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(not (WEIGHTS_DIR / "model.safetensors").exists(),
                       reason="tiny-base weights not built"),
]

REDUCED = ["--set", "pipeline.gen_tasks=3", "--set", "pipeline.eval_tasks=2",
           "--set", "pipeline.budget=2", "--set", "pipeline.call_limit=6",
           "--set", "pipeline.max_new_tokens=48", "--set", "setting.7b.warm_start=2",
           "--set", "train.epochs=1", "--set", "train.save_every=2"]


def test_main_table_grid_end_to_end_then_cached(tiny_suite, tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    shutil.copytree(tiny_suite, runs / "tiny" / "tasks")  # the suite build is cached by inputs
    args = ["run", "main_7b", "--runs-dir", str(runs), "--results-dir", str(results), *REDUCED]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    result = json.loads((results / "tiny" / "main_7b.json").read_text())
    assert [r["row"] for r in result["rows"]] == ["base", "warm-start", "BC", "on-policy", "OEC",
                                                 "OEC+BC"]
    for row in result["rows"]:
        assert row["n_tasks"] == 2 and 0.0 <= row["resolve_rate"] <= 1.0
        assert row["ci95"][0] <= row["resolve_rate"] <= row["ci95"][1]
    trained = {r["row"]: r["trajectories"][0] for r in result["rows"]}
    assert trained["BC"] and trained["OEC+BC"] and not trained["base"]
    verdicts = {c["claim"]: c["verdict"] for c in result["claims"]}
    assert verdicts["swe_oec_7b"] == "not comparable at this scale"
    assert verdicts["oec_vs_bc_7b"] in {"reproduced", "not reproduced", "inconclusive"}
    assert (results / "tiny" / "main_7b.png").stat().st_size > 1000
    assert "Measured vs reported" in first.output
    stages = [t["stage"].split("/")[0] for t in result["stage_seconds"]]
    assert {"rollouts", "datasets", "models", "evals"} <= set(stages)
    assert all(t["seconds"] >= 0 for t in result["stage_seconds"])

    # Every stage is cached: a rerun trains and rolls out nothing and gives the same rows.
    start = time.monotonic()
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "cached" in second.output and time.monotonic() - start < 60
    again = json.loads((results / "tiny" / "main_7b.json").read_text())
    assert again["stage_seconds"] == []  # nothing computed the second time
    assert [r["resolve_rate"] for r in again["rows"]] == [r["resolve_rate"] for r in result["rows"]]

    compare = CliRunner().invoke(cli, ["compare", "--results-dir", str(results)])
    assert compare.exit_code == 0 and "oec_vs_bc_7b" not in compare.output  # claims by name
    assert "relative" in compare.output

    # Two rows over two seeds: seed 0 is the full grid's (cached), and seed 1 rolls out only OEC
    # data - the scripted expert's BC rollouts are the same for every seed and are shared.
    rows = CliRunner().invoke(cli, [*args, "--rows", "OEC,BC", "--seeds", "2"])
    assert rows.exit_code == 0, rows.output
    pair = json.loads((results / "tiny" / "main_7b-BC-OEC.json").read_text())
    assert [r["row"] for r in pair["rows"]] == ["BC", "OEC"] and pair["seeds"] == [0, 1]
    assert all(len(r["per_seed"]) == 2 for r in pair["rows"])
    assert pair["rows"][0]["per_seed"][0] == result["rows"][2]["resolve_rate"]  # seed 0 reused
    assert [c["claim"] for c in pair["claims"]] == ["oec_vs_bc_7b"]
    computed = {t["stage"].split("/")[1].rsplit("-", 1)[0] for t in pair["stage_seconds"]}
    assert "oec-s1" in computed and not any(s.startswith("bc-s") for s in computed)
    assert json.loads((results / "tiny" / "main_7b.json").read_text()) == again  # untouched


def test_unknown_experiment_and_scale_errors(tmp_path):
    out = CliRunner().invoke(cli, ["run", "main_9b"])
    assert out.exit_code != 0 and "unknown experiment 'main_9b'" in out.output
    out = CliRunner().invoke(cli, ["compare", "--results-dir", str(tmp_path / "nothing")])
    assert out.exit_code != 0 and "no results yet" in out.output
    out = CliRunner().invoke(cli, ["run", "main_7b", "--scale", "7b"])
    assert out.exit_code != 0 and "--dry-run" in out.output


@pytest.mark.parametrize(("args", "message"), [
    (["main_7b", "--rows", "BC,DPO"], "main_7b has no row 'DPO'; its rows: base, warm-start, BC"),
    (["main_7b", "--rows", " , "], "--rows names no row"),
    (["failure_modes", "--rows", "BC"], "failure_modes is an analysis, not a table"),
])
def test_rows_errors_are_one_line(tmp_path, args, message):
    out = CliRunner().invoke(cli, ["run", *args, "--runs-dir", str(tmp_path / "runs"),
                                   "--results-dir", str(tmp_path / "results")])
    assert out.exit_code != 0 and message in out.output
    assert len(out.output.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists() and not (tmp_path / "results").exists()


def test_rows_dry_run_plans_only_those_rows():
    out = CliRunner().invoke(cli, ["run", "main_7b", "--rows", "BC,OEC", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "OEC+BC" not in out.output and "on-policy" not in out.output

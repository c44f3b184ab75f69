"""The analysis experiments (covariate shift, failure modes, iterated OEC) driven through a fake
pipeline that writes synthetic trajectories instead of training; the trend verdict on synthetic
divergences; their plans and listing in the CLI. Offline and fast: no model is loaded."""

from __future__ import annotations

import io
import zlib
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from artifact.agent.actions import format_call
from artifact.agent.trajectory import Trajectory
from artifact.analysis.embed import TurnEmbeddings
from artifact.analysis.shift import ShiftConfig, shift_from_embeddings
from artifact.analysis.shift_trend import slope_trend
from artifact.cli.main import cli
from artifact.pipeline import analyses
from artifact.pipeline.grid import Claim, DataMix
from artifact.pipeline.run import ScalePlan, run_seed
from artifact.report.analysis_results import build_analysis_result, write_analysis_result
from artifact.report.compare import print_comparison
from artifact.report.results import load_results
from artifact.report.verdicts import judge_trend, reported_claims
from artifact.tasks.schema import Task, write_tasks
from experiments import NAMES
from experiments.covariate_shift import EXPERIMENT as SHIFT
from experiments.failure_modes import EXPERIMENT as FAILURES
from experiments.iterated_oec import EXPERIMENT as ITERATED
from experiments.main_32b import EXPERIMENT as MAIN

N_TASKS, TURNS = 30, 6
PLAN = ScalePlan("base-model", gen_tasks=10, eval_tasks=None, budget=20, warm_start=5)
GOLD = "diff --git a/pkg/a.py b/pkg/a.py\n--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1 +1 @@\n-x\n+y\n"
WRONG = GOLD.replace("pkg/a.py", "pkg/b.py")


class FakePipeline:
    """The Pipeline's stage methods over synthetic data: an evaluation writes one graded
    trajectory per eval task whose turn texts carry a drift (per model-name prefix) that the
    FakeEmbedder turns into a turn-proportional shift; each stage is "cached" by name."""

    def __init__(self, root: Path, drift: dict[str, float]):
        self.root, self.drift = root, drift
        self.store = SimpleNamespace(root=root)
        self.trained_calls: list[str] = []
        self.rollout_calls: list[dict] = []
        tasks = [Task(f"t{i}", "r", "c", GOLD, "", ["x"], [], "bug", "1", image="img")
                 for i in range(N_TASKS)]
        root.mkdir(parents=True, exist_ok=True)
        write_tasks(tasks, root / "verified.jsonl")
        (root / "train.jsonl").write_text("")

    def tiny_suite(self):
        return self.root / "train.jsonl", self.root / "verified.jsonl"

    def rollouts(self, strategy, tasks_file, seed, limit=None, student=None, switch_range=(0, 30),
                 beta=0.5):
        self.rollout_calls.append({"strategy": strategy, "tasks": Path(tasks_file).name,
                                   "student": student, "switch_range": switch_range})
        folder = self.root / "rollouts" / f"{strategy}-s{seed}-{zlib.crc32(str(student).encode())}"
        if Path(tasks_file).name == "verified.jsonl":  # the expert on the eval tasks
            self._write_runs(folder, "expert", 0.0, resolved_every=1)
        return folder

    def survivors(self, rollout_dir, masking="expert_only", repetition_filter=True):
        return 100

    def dataset(self, name, sources, masking="expert_only", repetition_filter=True, seed=0):
        return self.root / "datasets" / name / "data.jsonl"

    def trained(self, name, base, data, seed=0):
        self.trained_calls.append(name)
        (self.root / "models" / name).mkdir(parents=True, exist_ok=True)
        return self.root / "models" / name

    def evaluation(self, name, model, tasks_file, limit=None):
        drift = next((d for prefix, d in self.drift.items() if name.startswith(prefix)), 0.0)
        folder = self.root / "evals" / name
        resolved = self._write_runs(folder, name, drift, resolved_every=3)
        return {"resolve_rate": resolved / N_TASKS, "ci95": [0, 1], "n_tasks": N_TASKS,
                "exit_status_counts": {"submitted": N_TASKS}}, folder

    def _write_runs(self, folder: Path, who: str, drift: float, resolved_every: int) -> int:
        for i in range(N_TASKS):
            ok = i % resolved_every == 0
            record = Trajectory(f"t{i}", who, 0, exit_status="submitted",
                                patch=GOLD if ok else WRONG, report={"resolved": ok})
            record.messages = [{"role": "system", "content": "sys"},
                               {"role": "user", "content": "bug"}]
            for t in range(TURNS):
                text = f"who {who} task t{i} turn {t} drift {drift}"
                record.messages += [
                    {"role": "assistant", "content": format_call("bash", text, command=f"ls {t}")},
                    {"role": "user", "kind": "observation", "content": "OBSERVATION:\nok"}]
            record.save(folder / "trajectories" / f"t{i}.json")
        return len(range(0, N_TASKS, resolved_every))


class FakeEmbedder:
    """Noise seeded by the text, plus `turn * drift` on the first axis."""
    model_path, max_length, context_messages = "fake-embedder", 64, 0

    def cache_key(self) -> dict:
        return {"model": "fake"}

    def embed_texts(self, texts, on_batch=None):
        out = np.zeros((len(texts), 4), dtype=np.float32)
        for k, text in enumerate(texts):
            words = text.split("</function>")[0].split()
            turn, drift = int(words[words.index("turn") + 1]), float(words[words.index("drift") + 1])
            out[k] = np.random.default_rng(zlib.crc32(text.encode())).normal(size=4)
            out[k, 0] += turn * drift
        if on_batch is not None:
            on_batch(len(texts))
        return out


FAST_SHIFT = {"bootstrap": 100, "pca_dims": None, "min_samples": 5, "null_permutations": 10}


def shift_output(tmp_path, drift):
    pipe = FakePipeline(tmp_path / "run", drift)
    settings = {**SHIFT.extra, **FAST_SHIFT, "cache_dir": tmp_path / "cache"}
    return pipe, analyses.run_covariate_shift(SHIFT, PLAN, pipe, [0], settings, quiet=True,
                                              embedder=FakeEmbedder())


def test_covariate_shift_reuses_the_grid_and_reproduces_a_growing_shift(tmp_path):
    grid = FakePipeline(tmp_path / "grid", {})
    run_seed(MAIN, PLAN, grid, 0, quiet=True)
    pipe, out = shift_output(tmp_path, {"bc": 1.0, "oec": 0.6})
    # The students are the main grid's stages (same names, hence the same cached folders).
    assert set(pipe.trained_calls) <= set(grid.trained_calls)
    assert {"strategy": "bc", "tasks": "verified.jsonl", "student": None,
            "switch_range": (0, 30)} in pipe.rollout_calls
    assert [r.name for r in out.rows] == ["BC", "OEC"]
    claim, = out.claims
    assert claim["claim"] == "covariate_shift_grows" and claim["verdict"] == "reproduced"
    test = out.sections["shift"]["comparisons"]["BC"]["trend_test"]["fid"]
    assert test["null_corrected"] and test["ci95"][0] > 0 and test["n_turns"] == TURNS

    result = build_analysis_result(SHIFT, "tiny", out, [0], {}, 1.0)
    path = write_analysis_result(result, tmp_path / "results")
    assert path.name == "covariate_shift.json" and path.with_suffix(".png").stat().st_size > 1000
    assert "Trend test" in path.with_suffix(".md").read_text()
    buffer = io.StringIO()
    print_comparison(load_results(tmp_path / "results"), Console(file=buffer, width=250))
    printed = buffer.getvalue()
    assert "covariate_shift" in printed and "reproduced" in printed


def test_covariate_shift_without_drift_is_not_reproduced(tmp_path):
    _, out = shift_output(tmp_path, {})
    assert out.claims[0]["verdict"] in ("inconclusive", "not reproduced")


def test_failure_modes_buckets_the_grid_students(tmp_path):
    pipe = FakePipeline(tmp_path / "run", {})
    out = analyses.run_failure_modes(FAILURES, PLAN, pipe, [0], dict(FAILURES.extra), quiet=True)
    runs = out.sections["failures"]["runs"]
    assert list(runs) == ["BC", "on-policy", "OEC"]
    assert runs["OEC"]["unresolved"] == N_TASKS - 10
    assert runs["OEC"]["counts"]["identified_incorrect_file"] == N_TASKS - 10
    result = build_analysis_result(FAILURES, "tiny", out, [0], {}, 1.0)
    path = write_analysis_result(result, tmp_path / "results")
    assert "identified_incorrect_file" in path.with_suffix(".md").read_text()
    assert load_results(tmp_path / "results")[0]["claims"] == []


def test_failure_modes_skips_a_student_that_was_never_trained(tmp_path):
    """At tiny scale no on-policy rollout may resolve: that row is not trained, so it has no
    evaluation. The others are still analysed and the result says which row is missing and why."""
    class NoOnPolicy(FakePipeline):
        def survivors(self, rollout_dir, masking="expert_only", repetition_filter=True):
            return 0 if Path(rollout_dir).name.startswith("on-policy") else 100

    pipe = NoOnPolicy(tmp_path / "run", {})
    out = analyses.run_failure_modes(FAILURES, PLAN, pipe, [0], dict(FAILURES.extra), quiet=True)
    failures = out.sections["failures"]
    assert list(failures["runs"]) == ["BC", "OEC"] and "error" not in failures
    assert "survived" in failures["not_analysed"]["on-policy"]
    result = build_analysis_result(FAILURES, "tiny", out, [0], {}, 1.0)
    text = write_analysis_result(result, tmp_path / "results").with_suffix(".md").read_text()
    assert "Not analysed: **on-policy**" in text and "could not run" not in text


def test_iterated_oec_chains_students_round_by_round(tmp_path):
    pipe = FakePipeline(tmp_path / "run", {})
    out = analyses.run_iterated_oec(ITERATED, PLAN, pipe, [0], {**ITERATED.extra, "rounds": 3},
                                    quiet=True)
    assert [r.name for r in out.rows] == ["round 0", "round 1", "round 2", "round 3"]
    oec = [c["student"] for c in pipe.rollout_calls if c["strategy"] == "oec"]
    # Round 1's data come from the warm start; rounds 2 and 3 from the previous round's student.
    assert [Path(s).name for s in oec] == ["bc5-s0", "oec20-s0", "iter2-oec20-s0"]
    assert pipe.trained_calls[-2:] == ["iter2-oec20-s0", "iter3-oec20-s0"]
    section = out.sections["iterated"]
    assert section["rounds_reached"] == 3 and "round 3 vs round 1" in section["comparisons"]
    result = build_analysis_result(ITERATED, "tiny", out, [0], {}, 1.0)
    assert [r["row"] for r in result["rows"]][-1] == "round 3"
    assert result["rows"][0]["ci95"][0] <= result["rows"][0]["resolve_rate"]
    path = write_analysis_result(result, tmp_path / "results")
    assert "round 3 vs round 2" in path.with_suffix(".md").read_text()


def test_a_bc_row_of_the_warm_start_size_is_the_warm_start_student(tmp_path):
    """Warm start and BC row from the same imitation trajectories: one dataset, one model."""
    pipe = FakePipeline(tmp_path / "run", {})
    results = run_seed(MAIN, replace(PLAN, warm_start=20), pipe, 0, quiet=True)
    oec_student = next(c["student"] for c in pipe.rollout_calls if c["strategy"] == "oec")
    assert Path(oec_student).name == "bc20-s0" == Path(results["BC"]["model"]).name
    assert results["warm-start"]["model"] == results["BC"]["model"]
    # the on-policy pool (slowest: the student alone) is rolled out after every other row's data
    assert [c["strategy"] for c in pipe.rollout_calls][-1] == "on-policy"
    assert pipe.trained_calls[-1].startswith("on-policy")
    assert list(results) == [row.name for row in MAIN.rows]  # reported in the declared order
    smaller = run_seed(MAIN, PLAN, FakePipeline(tmp_path / "other", {}), 0, quiet=True)
    assert Path(smaller["warm-start"]["model"]).name == "bc5-s0"
    assert Path(smaller["BC"]["model"]).name == "bc20-s0"
    assert smaller["warm-start"]["trajectories"] == {"bc": 5}  # what the generator was trained on
    assert smaller["base"]["trajectories"] == {}


def test_oec_rows_take_the_scales_switch_range_unless_they_name_one(tmp_path):
    from experiments.ablation_switch import EXPERIMENT as SWITCH

    plan = replace(PLAN, switch_range=(0, 8))
    pipe = FakePipeline(tmp_path / "run", {})
    results = run_seed(SWITCH, plan, pipe, 0, quiet=True)
    ranges = [c["switch_range"] for c in pipe.rollout_calls if c["strategy"] == "oec"]
    assert ranges == [(0, 8), (0, 30), (0, 10), (10, 30)]
    assert Path(results["OEC, the scale's range"]["model"]).name == "oec20-s0"
    assert Path(results["OEC k in 0..30 (paper)"]["model"]).name == "oec0-30_20-s0"
    # At a scale whose range is the paper's, the row naming 0..30 is the OEC row: same stages.
    paper = run_seed(SWITCH, PLAN, FakePipeline(tmp_path / "paper", {}), 0, quiet=True)
    assert paper["OEC k in 0..30 (paper)"]["model"] == paper["OEC, the scale's range"]["model"]


@pytest.mark.parametrize("bad", [[5], "0..8", ["a", "b"]])
def test_a_malformed_switch_range_is_one_clear_error(bad):
    config = {"pipeline": {"budget": 10, "switch_range": bad}}
    with pytest.raises(ValueError, match=r"pipeline.switch_range must be \[lo, hi\]"):
        ScalePlan.from_config(config, "7b", "base")
    assert ScalePlan.from_config({"pipeline": {"budget": 10}}, "7b", "b").switch_range == (0, 30)


# -- the trend verdict ----------------------------------------------------------------------------

def curves(slope: float, turns: int = 8, replicates: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.arange(turns)
    points = 1.0 + slope * x
    return x, points, points + rng.normal(scale=0.2, size=(replicates, turns))


@pytest.mark.parametrize(("slope", "verdict"), [(0.5, "reproduced"), (0.0, "inconclusive"),
                                                (-0.5, "not reproduced")])
def test_trend_verdict_on_synthetic_divergences(slope, verdict):
    claim = Claim("covariate_shift_grows", "trend", ("BC", "OEC"))
    x, points, reps = curves(slope)
    test = slope_trend(x, points, reps)
    assert test["slope"] == pytest.approx(slope)
    comparisons = {name: {"trend_test": {"fid": test}} for name in claim.rows}
    assert judge_trend(claim, comparisons, reported_claims())["verdict"] == verdict


def test_trend_needs_three_turns_and_every_student():
    x, points, reps = curves(0.5, turns=2)
    assert slope_trend(x, points, reps)["slope"] is None
    claim = Claim("covariate_shift_grows", "trend", ("BC", "OEC"))
    x, points, reps = curves(0.5)
    grows = {"trend_test": {"fid": slope_trend(x, points, reps)}}
    assert judge_trend(claim, {"BC": grows}, reported_claims())["verdict"] == "inconclusive"


def test_null_removes_growth_that_comes_from_shrinking_samples():
    """No shift at all, but fewer trajectories reach the deeper turns: the raw divergence grows,
    its excess over the sample-size null does not."""
    rng = np.random.default_rng(5)
    sizes = (80, 50, 30, 20, 14, 10)

    def group():
        ids, turns, vectors = [], [], []
        for t, n in enumerate(sizes):
            ids += [f"i{k}" for k in range(n)]
            turns += [t] * n
            vectors.append(rng.normal(size=(n, 6)))
        return TurnEmbeddings(np.array(ids), np.array(turns), np.vstack(vectors))

    expert, student = group(), group()
    base = ShiftConfig(bootstrap=200, pca_dims=None, min_samples=5)
    raw = shift_from_embeddings(expert, {"s": student}, base)["comparisons"]["s"]
    fixed = shift_from_embeddings(expert, {"s": student}, replace(base, null_permutations=30))
    raw_test, fixed_test = raw["trend_test"]["fid"], fixed["comparisons"]["s"]["trend_test"]["fid"]
    assert raw_test["ci95"][0] > 0  # the artefact the null is there for
    assert fixed_test["ci95"][0] <= 0 <= fixed_test["ci95"][1]


# -- the CLI --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["covariate_shift", "failure_modes", "iterated_oec"])
def test_dry_run_prints_the_analysis_plan(name):
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["run", name, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "analysis" in result.output and name in result.output
    assert "evals" in result.output


def test_iterated_dry_run_has_one_training_per_round():
    result = CliRunner(env={"COLUMNS": "250"}).invoke(
        cli, ["run", "iterated_oec", "--dry-run", "--set", "analysis.iterated_oec.rounds=4"])
    assert result.exit_code == 0, result.output
    assert "iter4-oec" in result.output and "iter5-oec" not in result.output


def test_list_shows_all_nine():
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["list"])
    assert result.exit_code == 0
    assert len(NAMES) == 9
    for name in NAMES:
        assert name in result.output


def test_on_policy_rows_train_on_the_students_turns():
    """expert_only masking would leave on-policy trajectories (student turns only) no loss."""
    from artifact.pipeline.grid import Row

    with pytest.raises(ValueError, match="on-policy data need masking='all_assistant'"):
        Row("on-policy", (DataMix("on-policy"),))
    assert next(r for r in MAIN.rows if r.name == "on-policy").masking == "all_assistant"

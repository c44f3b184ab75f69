"""Rates, paired bootstrap CIs and verdicts on synthetic outcomes where the answer is known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from artifact.pipeline.grid import Claim, DataMix, Experiment, Row
from artifact.report import aggregate
from artifact.report.results import build_result, load_results, markdown, write_result
from artifact.report.verdicts import judge, reported_claims

EXP = Experiment("toy", "Toy table", "test", rows=(Row("BC", (DataMix("bc"),)),
                                                   Row("OEC", (DataMix("oec"),)),
                                                   Row("on-policy", (DataMix("on-policy"),),
                                                       masking="all_assistant")),
                 claims=(Claim("oec_vs_bc_7b", "relative_gain", ("OEC", "BC")),
                         Claim("scaling_order", "ordering", ("OEC", "BC", "on-policy")),
                         Claim("swe_oec_7b", "resolve_rate", ("OEC",), scales=("7b",))))


def seed_result(rates: dict[str, float], n: int = 200, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {row: {"outcomes": {f"t{i}": int(rng.random() < p) for i in range(n)},
                  "model": f"m-{row}", "trajectories": {row: 10},
                  "report": {"exit_status_counts": {"submitted": n}}}
            for row, p in rates.items()}


def test_rates_and_ci_cover_the_truth():
    per_seed = [seed_result({"BC": 0.3, "OEC": 0.45, "on-policy": 0.1}, seed=s) for s in range(3)]
    summary = aggregate.summarize_rows(per_seed, ["BC", "OEC", "on-policy"])
    for row, truth in (("BC", 0.3), ("OEC", 0.45), ("on-policy", 0.1)):
        lo, hi = summary["rows"][row]["ci95"]
        assert lo <= summary["rows"][row]["resolve_rate"] <= hi
        assert lo - 0.02 <= truth <= hi + 0.02
        assert len(summary["rows"][row]["per_seed"]) == 3


def test_missing_task_counts_as_unresolved():
    per_seed = [{"A": {"outcomes": {"t1": 1, "t2": 1}}, "B": {"outcomes": {"t1": 1}}}]
    m, tasks = aggregate.outcome_matrix(per_seed, ["A", "B"])
    assert tasks == ["t1", "t2"] and m[1, 0].tolist() == [1, 0]


def verdicts_for(rates: dict[str, float], scale: str = "tiny") -> dict[str, dict]:
    per_seed = [seed_result(rates, n=400, seed=s) for s in range(2)]
    result = build_result(EXP, scale, per_seed, [0, 1], {}, 1.0)
    return {c["claim"]: c for c in result["claims"]}


def test_clear_gain_is_reproduced_and_ordering_holds():
    v = verdicts_for({"BC": 0.3, "OEC": 0.5, "on-policy": 0.1})
    assert v["oec_vs_bc_7b"]["verdict"] == "reproduced"
    assert v["oec_vs_bc_7b"]["detail"]["value"] == pytest.approx(0.5 / 0.3 - 1, abs=0.15)
    assert v["scaling_order"]["verdict"] == "reproduced"
    assert v["swe_oec_7b"]["verdict"] == "not comparable at this scale"


def test_opposite_effect_is_not_reproduced():
    v = verdicts_for({"BC": 0.5, "OEC": 0.3, "on-policy": 0.4})
    assert v["oec_vs_bc_7b"]["verdict"] == "not reproduced"
    assert v["scaling_order"]["verdict"] == "not reproduced"


def test_no_effect_is_inconclusive():
    per_seed = [seed_result({"BC": 0.3, "OEC": 0.3, "on-policy": 0.3}, n=30, seed=0)]
    for row in ("OEC", "on-policy"):  # identical outcomes: a difference of exactly zero
        per_seed[0][row]["outcomes"] = dict(per_seed[0]["BC"]["outcomes"])
    result = build_result(EXP, "tiny", per_seed, [0], {}, 1.0)
    claims = {c["claim"]: c for c in result["claims"]}
    assert claims["oec_vs_bc_7b"]["verdict"] == "inconclusive"
    # The order holds in no replicate, but is reversed in none either: no effect, not its opposite.
    assert claims["scaling_order"]["verdict"] == "inconclusive"
    assert claims["scaling_order"]["detail"]["bootstrap_support"] == 0.0


def test_absolute_rate_compared_only_at_its_scale():
    per_seed = [seed_result({"BC": 0.1, "OEC": 0.208, "on-policy": 0.05}, n=500)]
    names = [r.name for r in EXP.rows]
    summary = aggregate.summarize_rows(per_seed, names)
    v = judge(EXP.claims[2], EXP, "7b", summary["_boot"], summary["_matrix"], reported_claims())
    assert v["verdict"] == "reproduced"  # 20.8% lies in the CI of a 20.8%-ish measurement


def test_written_results_round_trip(tmp_path):
    per_seed = [seed_result({"BC": 0.3, "OEC": 0.4, "on-policy": 0.2}, n=50)]
    result = build_result(EXP, "tiny", per_seed, [0], {"pipeline": {"budget": 10}}, 12.0)
    path = write_result(result, tmp_path)
    assert path.with_suffix(".png").stat().st_size > 1000
    assert "| OEC |" in path.with_suffix(".md").read_text()
    loaded = load_results(tmp_path)
    assert loaded[0]["experiment"] == "toy" and json.dumps(loaded[0])
    assert "verdict" in markdown(result)


def test_markdown_lists_training_counts_per_seed_when_they_differ():
    per_seed = [seed_result({"BC": 0.3, "OEC": 0.4, "on-policy": 0.2}, n=20, seed=s)
                for s in range(2)]
    per_seed[1]["OEC"]["trajectories"] = {"OEC": 12}
    text = markdown(build_result(EXP, "tiny", per_seed, [0, 1], {}, 1.0))
    assert "| OEC 10; OEC 12 |" in text and "| BC 10 |" in text


def test_every_claim_id_exists_in_paper_json():
    import experiments

    ids = set(reported_claims())
    for exp in experiments.all_experiments():
        for claim in exp.claims:
            assert claim.reported_id in ids, (exp.name, claim.reported_id)
            assert set(claim.rows) <= {r.name for r in exp.rows}


def test_subset_rates_split_the_tiny_suite_and_skip_foreign_tasks():
    from artifact.agent.trajectory import Trajectory
    from artifact.evaluate.evaluate import subset_rates
    from artifact.tasks.schema import Task

    def task(i, repo, suggested):
        meta = {} if suggested is None else {"suggested_fix": suggested}
        return Task(instance_id=f"t{i}", repo=repo, base_commit="c", patch="", test_patch="", FAIL_TO_PASS=["x"],
                    PASS_TO_PASS=[], problem_statement="p", version="1", repo_path="r", meta=meta)

    tasks = [task(0, "oec-tiny/geometry", True), task(1, "oec-tiny/statskit", True),
             task(2, "oec-tiny/statskit", False), task(3, "django/django", None)]
    records = [Trajectory(t.instance_id, "eval", 0, report={"resolved": i in (0, 2, 3)}) for i, t in enumerate(tasks)]
    rates = subset_rates(tasks, records)
    assert set(rates) == {"train_repos", "verified_only_repo", "suggested_fix", "no_suggested_fix"}
    assert (rates["train_repos"]["n_tasks"], rates["train_repos"]["resolved"]) == (1, 1)
    assert (rates["verified_only_repo"]["n_tasks"], rates["verified_only_repo"]["resolve_rate"]) == (2, 0.5)
    assert (rates["suggested_fix"]["n_tasks"], rates["suggested_fix"]["resolved"]) == (2, 1)
    assert rates["no_suggested_fix"]["resolve_rate"] == 1.0

"""Measured vs reported: one verdict per claim of the paper an experiment tests.

Verdicts: `reproduced` (the measured effect has the paper's direction and its CI excludes no
effect), `not reproduced` (the CI shows the opposite direction; for an ordering, a pair is
reversed in at least 80% of bootstrap replicates), `inconclusive` (the CI includes no effect:
more seeds or tasks needed), `not comparable at this scale` (an absolute number of a 7B/32B model
measured on a different scale)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from artifact.pipeline.grid import Claim, Experiment
from artifact.report import aggregate

REPORTED = Path(__file__).resolve().parents[2] / "results" / "reported" / "paper.json"


def reported_claims(path: Path = REPORTED) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads(path.read_text())["claims"]}


def judge(claim: Claim, exp: Experiment, scale: str, boot: np.ndarray, m: np.ndarray,
          reported: dict[str, dict]) -> dict:
    names = [r.name for r in exp.rows]
    ref = reported.get(claim.reported_id, {})
    base = {"claim": claim.reported_id, "what": ref.get("what", ""), "reported": ref.get("display", ""),
            "rows": list(claim.rows)}
    index = [names.index(r) for r in claim.rows]
    if claim.kind == "relative_gain":
        gain = aggregate.relative_gain(boot, m, index[0], index[1])
        lo, hi = gain["difference_ci95"]
        verdict = "reproduced" if lo > 0 else "not reproduced" if hi < 0 else "inconclusive"
        measured = (f"{_pct(gain['value'], sign=True)} relative"
                    + (f" (CI {_pct(gain['ci95'][0], True)} to {_pct(gain['ci95'][1], True)})"
                       if gain["ci95"] else "")
                    + f"; difference {gain['difference']:+.1%} (CI {lo:+.1%} to {hi:+.1%})")
        return {**base, "measured": measured, "verdict": verdict, "detail": gain}
    if claim.kind == "ordering":
        order = aggregate.ordering(boot, m, index)
        support = order["bootstrap_support"]
        reversed_ = order["reversed_support"]
        verdict = ("reproduced" if order["holds"] and support >= 0.8 else
                   "not reproduced" if not order["holds"] and reversed_ >= 0.8 else "inconclusive")
        measured = " > ".join(f"{n} {r:.1%}" for n, r in zip(claim.rows, order["rates"], strict=True))
        measured += (f" (order holds in {support:.0%} of bootstrap replicates, a pair is reversed "
                     f"in {reversed_:.0%})")
        return {**base, "measured": measured, "verdict": verdict, "detail": order}
    if claim.kind == "resolve_rate":
        rate = float(m[index[0]].mean())
        ci = aggregate.percentile_ci(boot[:, index[0]])
        measured = f"{rate:.1%} (CI {ci[0]:.1%} to {ci[1]:.1%})"
        if claim.scales and scale not in claim.scales:
            return {**base, "measured": measured, "verdict": "not comparable at this scale"}
        value = ref.get("value", 0)
        verdict = "reproduced" if ci[0] <= value <= ci[1] else "not reproduced"
        return {**base, "measured": measured, "verdict": verdict}
    raise ValueError(f"unknown claim kind {claim.kind!r}")


def _pct(x: float | None, sign: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.0%}" if sign else f"{x:.0%}"


def trend_verdict(test: dict | None) -> str:
    """One slope test (artifact.analysis.shift_trend): its CI above zero, below zero, or neither
    (too few turns included)."""
    if not test or test.get("slope") is None or not test.get("ci95"):
        return "inconclusive"
    lo, hi = test["ci95"]
    return "reproduced" if lo > 0 else "not reproduced" if hi < 0 else "inconclusive"


def judge_trend(claim: Claim, comparisons: dict, reported: dict[str, dict],
                metric: str = "fid") -> dict:
    """kind "trend": the divergence of each student of `claim.rows` from the expert grows with turn
    depth. Reproduced when every student's slope CI lies above zero; not reproduced when none does
    and some lies below; inconclusive otherwise (mixed, flat, or too few turns)."""
    from artifact.analysis.shift_report import LABELS, trend_sentence

    ref = reported.get(claim.reported_id, {})
    groups = {name: comparisons.get(name, {}).get("trend_test", {}).get(metric)
              for name in claim.rows}
    per_group = {name: trend_verdict(test) for name, test in groups.items()}
    found = set(per_group.values())
    verdict = ("reproduced" if found == {"reproduced"} else
               "not reproduced" if "not reproduced" in found and "reproduced" not in found else
               "inconclusive")
    measured = f"{LABELS.get(metric, metric)}: " + "; ".join(
        f"{name} {trend_sentence(test)}" for name, test in groups.items())
    return {"claim": claim.reported_id, "what": ref.get("what", ""),
            "reported": ref.get("display", ""), "rows": list(claim.rows), "measured": measured,
            "verdict": verdict, "detail": {"metric": metric, "per_group": per_group,
                                           "tests": groups}}

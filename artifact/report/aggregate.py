"""From per-seed, per-task outcomes to rates, CIs and the paper's comparisons.

Uncertainty comes from a paired bootstrap: each replicate resamples the eval tasks (the same tasks
for every row, so row differences are paired) and, with several seeds, the seeds too. The CI thus
covers both the task sample and training randomness."""

from __future__ import annotations

import itertools

import numpy as np

REPLICATES = 2000


def outcome_matrix(per_seed: list[dict[str, dict]], rows: list[str]) -> tuple[np.ndarray, list[str]]:
    """[row, seed, task] array of 0/1 over the tasks every (row, seed) was evaluated on; a task
    missing for any row counts as unresolved for that row (fails closed)."""
    tasks = sorted({t for seed in per_seed for r in rows for t in seed[r]["outcomes"]})
    m = np.zeros((len(rows), len(per_seed), len(tasks)))
    for j, seed in enumerate(per_seed):
        for i, r in enumerate(rows):
            outcomes = seed[r]["outcomes"]
            m[i, j] = [outcomes.get(t, 0) for t in tasks]
    return m, tasks


def bootstrap_rates(m: np.ndarray, replicates: int = REPLICATES, seed: int = 0) -> np.ndarray:
    """[replicate, row] resolve rates under paired resampling of seeds and tasks."""
    rng = np.random.default_rng(seed)
    _, n_seeds, n_tasks = m.shape
    out = np.empty((replicates, m.shape[0]))
    for b in range(replicates):
        seeds = rng.integers(0, n_seeds, n_seeds) if n_seeds > 1 else np.zeros(1, dtype=int)
        tasks = rng.integers(0, n_tasks, n_tasks)
        out[b] = m[:, seeds][:, :, tasks].mean(axis=(1, 2))
    return out


def percentile_ci(samples: np.ndarray) -> list[float]:
    return [round(float(np.percentile(samples, 2.5)), 4), round(float(np.percentile(samples, 97.5)), 4)]


def summarize_rows(per_seed: list[dict[str, dict]], rows: list[str]) -> dict:
    m, tasks = outcome_matrix(per_seed, rows)
    boot = bootstrap_rates(m) if tasks else np.zeros((1, len(rows)))
    summary = {}
    for i, r in enumerate(rows):
        summary[r] = {"resolve_rate": round(float(m[i].mean()), 4) if tasks else 0.0,
                      "ci95": percentile_ci(boot[:, i]),
                      "per_seed": [round(float(x), 4) for x in m[i].mean(axis=1)] if tasks else [],
                      "n_tasks": len(tasks), "n_seeds": len(per_seed)}
    return {"rows": summary, "_boot": boot, "_matrix": m}


def relative_gain(boot: np.ndarray, m: np.ndarray, a: int, b: int) -> dict:
    """rate(a) / rate(b) - 1 with a paired bootstrap CI (replicates with rate(b) = 0 dropped)."""
    ra, rb = m[a].mean(), m[b].mean()
    point = float(ra / rb - 1) if rb > 0 else None
    ok = boot[:, b] > 0
    gains = boot[ok, a] / boot[ok, b] - 1
    diff = boot[:, a] - boot[:, b]
    return {"value": round(point, 4) if point is not None else None,
            "ci95": percentile_ci(gains) if ok.any() else None,
            "difference": round(float(ra - rb), 4), "difference_ci95": percentile_ci(diff),
            "p_greater": round(float((diff > 0).mean()), 4)}


def ordering(boot: np.ndarray, m: np.ndarray, indices: list[int]) -> dict:
    """Whether the point estimates follow the order, and how often bootstrap replicates do."""
    rates = [float(m[i].mean()) for i in indices]
    holds = all(x > y for x, y in itertools.pairwise(rates))
    replicate_holds = np.ones(len(boot), dtype=bool)
    reversed_support = 0.0
    for x, y in itertools.pairwise(indices):
        replicate_holds &= boot[:, x] > boot[:, y]
        reversed_support = max(reversed_support, float((boot[:, x] < boot[:, y]).mean()))
    # `reversed_support`: how often the clearest pair is strictly the other way round. Two rows
    # that resolve the same tasks hold the order in no replicate, but reverse it in none either.
    return {"rates": [round(r, 4) for r in rates], "holds": holds,
            "bootstrap_support": round(float(replicate_holds.mean()), 4),
            "reversed_support": round(reversed_support, 4)}

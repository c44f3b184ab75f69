"""Resolve rates with bootstrap confidence intervals."""

from __future__ import annotations

import random


def bootstrap_ci(outcomes: list[float], replicates: int = 2000, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean over tasks."""
    if not outcomes:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(outcomes)
    means = sorted(sum(rng.choices(outcomes, k=n)) / n for _ in range(replicates))
    lo = means[int((1 - level) / 2 * replicates)]
    hi = means[min(replicates - 1, int((1 + level) / 2 * replicates))]
    return (round(lo, 4), round(hi, 4))

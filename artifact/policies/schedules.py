"""When the expert takes over. Each schedule is seeded so that (task, seed) fixes its draws.

`switch_step` is k: the student makes calls 0..k-1 and the expert every call from k on.
`dagger` instead mixes per step: each call goes to the expert with probability beta."""

from __future__ import annotations

import random
from dataclasses import dataclass

from artifact.policies.base import EXPERT, STUDENT


def _rng(*parts: object) -> random.Random:
    # String seeds are hashed with SHA-512 by `random`, so draws are stable across runs and hosts.
    return random.Random(":".join(str(p) for p in parts))


@dataclass(frozen=True)
class Schedule:
    name: str
    lo: int | None = None  # random_step_range bounds (inclusive), or fixed k in lo
    hi: int | None = None
    beta: float | None = None  # dagger mixing probability

    def bind(self, instance_id: str, seed: int) -> BoundSchedule:
        return BoundSchedule(self, instance_id, seed)

    def describe(self) -> dict:
        return {k: v for k, v in vars(self).items() if v is not None}


class BoundSchedule:
    """A schedule fixed to one (task, seed): answers who acts at each step."""

    def __init__(self, schedule: Schedule, instance_id: str, seed: int):
        self.schedule, self.instance_id, self.seed = schedule, instance_id, seed
        self.k = self._draw_k()

    def _draw_k(self) -> int | None:
        s = self.schedule
        if s.name == "always_expert":
            return 0
        if s.name == "never":
            return None
        if s.name == "fixed":
            return s.lo
        if s.name == "random_step_range":
            return _rng("oec-switch", self.instance_id, self.seed).randint(s.lo, s.hi)
        return None  # dagger decides per step

    def author(self, step: int) -> str:
        if self.schedule.name == "dagger":
            return EXPERT if _rng("dagger", self.instance_id, self.seed, step).random() < self.schedule.beta else STUDENT
        return EXPERT if self.k is not None and step >= self.k else STUDENT

    def describe(self) -> dict:
        return {**self.schedule.describe(), "k": self.k}


def always_expert() -> Schedule:
    return Schedule("always_expert")


def never() -> Schedule:
    return Schedule("never")


def fixed(k: int) -> Schedule:
    if k < 0:
        raise ValueError(f"fixed(k): k must be >= 0, got {k}")
    return Schedule("fixed", lo=k)


def random_step_range(lo: int = 0, hi: int = 30) -> Schedule:
    if not 0 <= lo <= hi:
        raise ValueError(f"random_step_range: need 0 <= lo <= hi, got {lo}..{hi}")
    return Schedule("random_step_range", lo=lo, hi=hi)


def dagger(beta: float) -> Schedule:
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"dagger(beta): beta must be in [0, 1], got {beta}")
    return Schedule("dagger", beta=beta)


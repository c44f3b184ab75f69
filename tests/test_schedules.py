from collections import Counter

import pytest

from artifact.policies.base import EXPERT, STUDENT, CallLimitReached, Reply
from artifact.policies.schedules import always_expert, dagger, fixed, never, random_step_range
from artifact.policies.switching import SwitchingPolicy

# chi-square critical value for 30 degrees of freedom at alpha = 0.001
CHI2_30_999 = 59.70


def test_oec_switch_steps_are_uniform_over_0_to_30():
    draws = [random_step_range(0, 30).bind(f"task-{i}", seed=i % 3).k for i in range(1000)]
    counts = Counter(draws)
    assert set(counts) <= set(range(31))
    expected = 1000 / 31
    chi2 = sum((counts.get(k, 0) - expected) ** 2 / expected for k in range(31))
    assert chi2 < CHI2_30_999, chi2


def test_same_task_and_seed_give_same_k_and_different_seeds_vary():
    s = random_step_range(0, 30)
    assert s.bind("t", 1).k == s.bind("t", 1).k
    assert len({s.bind("t", seed).k for seed in range(40)}) > 5


def test_fixed_schedules():
    assert always_expert().bind("t", 0).k == 0
    assert never().bind("t", 0).k is None
    bound = fixed(3).bind("t", 0)
    assert [bound.author(i) for i in range(5)] == [STUDENT] * 3 + [EXPERT] * 2
    with pytest.raises(ValueError):
        random_step_range(5, 2)
    with pytest.raises(ValueError):
        dagger(1.5)


def test_dagger_mixes_per_step_with_rate_beta():
    bound = dagger(0.3).bind("t", 0)
    authors = [bound.author(i) for i in range(2000)]
    assert 0.25 < authors.count(EXPERT) / 2000 < 0.35
    assert authors == [dagger(0.3).bind("t", 0).author(i) for i in range(2000)]


class Echo:
    def __init__(self, name, submit_after=None):
        self.name, self.calls, self.submit_after = name, 0, submit_after

    def act(self, messages):
        self.calls += 1
        return Reply(text=f"{self.name} {self.calls}", author="?", model=self.name)


def test_switching_policy_stamps_authors_and_limits_each_policy():
    student, expert = Echo("s"), Echo("e")
    policy = SwitchingPolicy(student, expert, fixed(2).bind("t", 0), call_limit=3)
    authors = [policy.act([]).author for _ in range(5)]
    assert authors == [STUDENT, STUDENT, EXPERT, EXPERT, EXPERT]
    with pytest.raises(CallLimitReached):
        policy.act([])
    assert (student.calls, expert.calls) == (2, 3)


def test_k_zero_means_only_expert():
    student, expert = Echo("s"), Echo("e")
    policy = SwitchingPolicy(student, expert, always_expert().bind("t", 0))
    assert {policy.act([]).author for _ in range(10)} == {EXPERT}
    assert student.calls == 0

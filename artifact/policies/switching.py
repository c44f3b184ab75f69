"""SwitchingPolicy: calls before the switch go to the student, the rest to the expert, which
continues from the full history (nothing is reset). Every reply is stamped with its author, so
loss masks need nothing else. Call limits apply to each policy separately."""

from __future__ import annotations

from artifact.policies.base import EXPERT, CallLimitReached, Policy, Reply
from artifact.policies.schedules import BoundSchedule

DEFAULT_CALL_LIMIT = 75  # paper: at most 75 model calls per model


class SwitchingPolicy:
    def __init__(self, student: Policy | None, expert: Policy | None, schedule: BoundSchedule,
                 call_limit: int = DEFAULT_CALL_LIMIT):
        self.student, self.expert, self.schedule = student, expert, schedule
        self.call_limit = call_limit
        self.calls = {"student": 0, "expert": 0}
        self.name = f"switch({getattr(student, 'name', None)}->{getattr(expert, 'name', None)})"

    def act(self, messages: list[dict]) -> Reply:
        author = self.schedule.author(sum(self.calls.values()))  # the step index
        policy = self.expert if author == EXPERT else self.student
        if policy is None:
            raise ValueError(f"schedule {self.schedule.describe()} needs a {author} policy")
        if self.calls[author] >= self.call_limit:
            raise CallLimitReached(f"{author} used its {self.call_limit} calls")
        reply = policy.act(messages)
        self.calls[author] += 1
        reply.author = author
        return reply

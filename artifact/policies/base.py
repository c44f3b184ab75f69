"""The policy protocol: something that reads the chat so far and writes the next reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

STUDENT, EXPERT = "student", "expert"


@dataclass
class Reply:
    text: str
    author: str  # "student" or "expert": who wrote it (stamped by the switching layer)
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


class PolicyError(RuntimeError):
    """The policy could not answer (endpoint down after retries, ...): ends the rollout."""


class CallLimitReached(Exception):
    """The policy due to act has used up its calls."""


class ContextLimitReached(Exception):
    """The prompt no longer fits the model's context."""


class Policy(Protocol):
    name: str

    def act(self, messages: list[dict]) -> Reply:
        """Messages are OpenAI chat messages ({role, content}); returns the next reply."""

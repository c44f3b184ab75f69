"""From a stored trajectory to chat examples: what the model saw, and which messages get loss.

History. The agent shows the model only the last few observations in full (history.model_view);
every assistant message records in `elided` which observations its request had elided. Two modes:

- "last" (default): one example per trajectory, the request of the LAST assistant turn plus that
  turn's reply, with observations elided exactly as in that request. Every earlier assistant turn
  is trained in this same context, although at generation time it saw some observations in full
  that are elided here (the "history mismatch" of design.md). Cheap: linear in trajectory length.
- "per-turn": one example per loss-bearing assistant turn, with exactly that turn's request as
  context and loss on that turn only. Exact, but quadratic in the trajectory length.

Messages after the last assistant turn (the final observation) were never seen by the model and
are left out.

Masking. expert_only: assistant messages whose author is "expert" get loss (the paper's OEC
masking; a behavioural-cloning trajectory is all expert, so all its turns get loss).
all_assistant: every assistant message gets loss. System and user (task, tool output) never do.
"""

from __future__ import annotations

from dataclasses import dataclass

from artifact.agent.prompts import ELIDED_OBSERVATION
from artifact.agent.trajectory import Trajectory

MASKINGS = ("expert_only", "all_assistant")
HISTORIES = ("last", "per-turn")


def has_loss(message: dict, masking: str) -> bool:
    if message["role"] != "assistant":
        return False
    if masking == "all_assistant":
        return True
    if masking == "expert_only":
        return message.get("author") == "expert"
    raise ValueError(f"unknown masking {masking!r}; choose one of {', '.join(MASKINGS)}")


def request_view(messages: list[dict], turn: int) -> list[dict]:
    """Messages 0..turn (turn = index of an assistant message) as the model saw them for that
    request, i.e. with that turn's recorded `elided` observations replaced by the placeholder
    (same text as history.model_view)."""
    hidden = set(messages[turn].get("elided") or [])
    view = []
    for i, message in enumerate(messages[: turn + 1]):
        content = message["content"]
        if i in hidden:
            lines = message.get("lines") or content.count("\n") + 1
            content = ELIDED_OBSERVATION.format(n=lines)
        view.append({"role": message["role"], "content": content, "_source": message})
    return view


@dataclass
class Example:
    instance_id: str
    strategy: str
    seed: int
    source: str
    switch_index: int | None
    messages: list[dict]  # {"role", "content", "loss"}
    turn: int | None = None  # assistant-turn index, per-turn history only

    @property
    def loss_messages(self) -> int:
        return sum(m["loss"] for m in self.messages)

    def to_json(self) -> dict:
        data = {"instance_id": self.instance_id, "strategy": self.strategy, "seed": self.seed,
                "source": self.source, "switch_index": self.switch_index,
                "messages": self.messages}
        if self.turn is not None:
            data["turn"] = self.turn
        return data


def _strip(view: list[dict], loss_at: set[int]) -> list[dict]:
    return [{"role": m["role"], "content": m["content"], "loss": i in loss_at}
            for i, m in enumerate(view)]


def last_turn_view(trajectory: Trajectory) -> list[dict]:
    """The request+reply of the last assistant turn (empty when the model never replied)."""
    turns = [i for i, m in enumerate(trajectory.messages) if m["role"] == "assistant"]
    return request_view(trajectory.messages, turns[-1]) if turns else []


def build_examples(trajectory: Trajectory, source: str, masking: str,
                   history: str = "last") -> list[Example]:
    """The examples of one trajectory. In "last" mode a trajectory without loss messages yields
    one example with zero loss messages (the caller counts and drops it); in "per-turn" mode
    such a trajectory yields no examples."""
    meta = {"instance_id": trajectory.instance_id, "strategy": trajectory.strategy,
            "seed": trajectory.seed, "source": source, "switch_index": trajectory.switch_index}
    turns = [i for i, m in enumerate(trajectory.messages) if m["role"] == "assistant"]
    if history == "last":
        view = last_turn_view(trajectory)
        loss_at = {i for i, m in enumerate(view) if has_loss(m["_source"], masking)}
        return [Example(**meta, messages=_strip(view, loss_at))]
    if history == "per-turn":
        examples = []
        for number, index in enumerate(turns):
            if has_loss(trajectory.messages[index], masking):
                view = request_view(trajectory.messages, index)
                examples.append(Example(**meta, messages=_strip(view, {index}), turn=number))
        return examples
    raise ValueError(f"unknown history {history!r}; choose one of {', '.join(HISTORIES)}")

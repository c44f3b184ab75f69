"""What the model sees: the full record, with all but the last N observations elided, as in the
paper's SWE-agent configuration. The stored trajectory always keeps everything."""

from __future__ import annotations

from artifact.agent.prompts import ELIDED_OBSERVATION

KEEP_LAST_OBSERVATIONS = 5


def model_view(messages: list[dict], keep_last: int = KEEP_LAST_OBSERVATIONS) -> tuple[list[dict], list[int]]:
    """Chat messages ({role, content}) for the model, and the indices of elided observations."""
    observations = [i for i, m in enumerate(messages) if m.get("kind") == "observation"]
    elided = observations[:-keep_last] if keep_last > 0 else observations
    hidden = set(elided)
    view = []
    for i, message in enumerate(messages):
        content = message["content"]
        if i in hidden:
            lines = message.get("lines") or content.count("\n") + 1
            content = ELIDED_OBSERVATION.format(n=lines)
        view.append({"role": message["role"], "content": content})
    return view, elided

"""Build the student or expert of a rollout from a command-line spec: `scripted` (the privileged
expert), an http(s) URL (any OpenAI-compatible endpoint: `http://host:port/v1#model`), or a local
model folder (transformers, optionally with a LoRA adapter inside)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from artifact.policies.base import Policy
from artifact.policies.expert_takeover import ContinuingExpert
from artifact.tasks.schema import Task

RolePolicy = Callable[[Task, int, str], Policy]


def rollout_seed(instance_id: str, seed: int) -> int:
    """A per-rollout sampling seed, stable across runs and machines."""
    return int.from_bytes(hashlib.sha256(f"{instance_id}:{seed}".encode()).digest()[:4], "big")


def is_endpoint(spec: str) -> bool:
    """An OpenAI-compatible endpoint URL rather than `scripted` or a local model folder."""
    return spec.startswith(("http://", "https://"))


def role_policy(spec: str, role: str, temperature: float = 0.0, top_p: float = 1.0,
                max_new_tokens: int = 512) -> RolePolicy:
    if spec == "scripted":
        if role != "expert":
            raise ValueError("`scripted` is a privileged expert; a student must be a model folder or URL")
        return lambda task, seed, workdir: ContinuingExpert(task, seed, workdir)
    if is_endpoint(spec):
        from artifact.policies.openai_policy import OpenAIPolicy

        shared = OpenAIPolicy.from_url(spec, temperature=temperature, top_p=top_p,
                                       max_tokens=max_new_tokens, author=role)
        # Fail before any rollout starts if the endpoint is down (after retries) or lacks the model.
        served = shared.served_models()
        if shared.model not in served:
            raise ValueError(f"{spec}: model {shared.model!r} is not served there (served: {', '.join(served)})")
        return lambda task, seed, workdir: shared  # stateless and thread-safe: one client for all
    from artifact.policies.hf import HFModel, HFPolicy

    model = HFModel(spec)
    return lambda task, seed, workdir: HFPolicy(model, temperature=temperature, top_p=top_p,
                                                seed=rollout_seed(task.instance_id, seed),
                                                max_new_tokens=max_new_tokens, author=role)

"""One batched `model.generate` call with per-row stopping and per-row seeded sampling, so a row's
output does not depend on which other rows share its batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import (
    LogitsProcessor,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
)

from artifact.policies import growing_cache

STOP_TEXT = "</function>"
Decode = Callable[[list[int], bool], str]  # (ids, skip_special_tokens) -> text
_TAIL_TOKENS = 32  # a stop string of 11 characters spans at most ~12 byte-level tokens


@dataclass(frozen=True)
class Sampling:
    """Settings that must be equal for requests to share a batch."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 512

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


class StopAfterText(StoppingCriteria):
    """Per row: done once the generated part (never the prompt, which holds earlier calls) contains
    the stop text, or ends with an end-of-sequence token. Records where each row ended."""

    def __init__(self, decode: Decode, prompt_len: int, rows: int, eos_ids: set[int],
                 stop_text: str = STOP_TEXT):
        self.decode, self.prompt_len, self.stop_text = decode, prompt_len, stop_text
        self.eos_ids = eos_ids
        self.ended_at: list[int | None] = [None] * rows  # sequence length when the row finished

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        length = input_ids.shape[1]
        start = max(self.prompt_len, length - _TAIL_TOKENS)
        for row, ended in enumerate(self.ended_at):
            if ended is not None:
                continue
            ids = input_ids[row]
            if int(ids[-1]) in self.eos_ids:
                self.ended_at[row] = length
                continue
            tail = self.decode(ids[start:].tolist(), False)
            if self.stop_text in tail:
                self.ended_at[row] = length
        done = [ended is not None for ended in self.ended_at]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class RowSampler(LogitsProcessor):
    """Samples each row with its own torch.Generator and returns logits that are -inf everywhere
    but the drawn token, so generate's greedy step picks it. With the global RNG of
    `do_sample=True`, a row's draw would depend on its batch neighbours."""

    def __init__(self, seeds: list[int], temperature: float, top_p: float):
        self.generators = [torch.Generator().manual_seed(seed) for seed in seeds]
        self.temperature, self.top_p = temperature, top_p

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        logits = scores.float() / self.temperature
        if self.top_p < 1.0:
            logits = _top_p_filter(logits, self.top_p)
        probs = torch.softmax(logits, dim=-1).cpu()
        chosen = torch.stack([torch.multinomial(probs[row], 1, generator=generator)
                              for row, generator in enumerate(self.generators)]).to(scores.device)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter_(1, chosen, 0.0)


def _top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of top tokens whose probability reaches top_p (at least one)."""
    sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
    probs = torch.softmax(sorted_logits, dim=-1)
    drop = probs.cumsum(dim=-1) - probs >= top_p  # the mass before this token already suffices
    sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(1, order, sorted_logits)


@dataclass
class RowOutput:
    tokens: list[int]  # generated tokens up to and including the one that ended the row
    text: str  # decoded, trimmed after the stop text, end-of-sequence token removed


@dataclass
class PrefixCache:
    """One rollout's KV cache and the tokens it holds. Its next prompt repeats the previous one
    up to the first observation the history elides, so only the rest needs a forward pass."""

    tokens: list[int] = field(default_factory=list)
    kv: Any = None

    def reusable(self, prompt: list[int]):
        """The cache cut to the prompt's longest shared prefix (at least one token left to run)."""
        if self.kv is None:
            return None
        common = 0
        for a, b in zip(self.tokens, prompt):
            if a != b:
                break
            common += 1
        keep = min(common, len(prompt) - 1)
        if keep <= 0:
            self.kv, self.tokens = None, []
            return None
        self.kv.crop(keep - self.kv.get_seq_length())
        self.tokens = self.tokens[:keep]
        return self.kv


def generate_batch(model, decode: Decode, prompts: list[list[int]], sampling: Sampling,
                   seeds: list[int | None], eos_ids: set[int], pad_id: int,
                   prefix: PrefixCache | None = None) -> list[RowOutput]:
    """Left-pad the prompts, call generate once, split the result per row. A single row may
    bring its rollout's prefix cache, which is reused and then updated."""
    assert prefix is None or len(prompts) == 1
    width = max(len(p) for p in prompts)
    device = next(model.parameters()).device
    input_ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts], device=device)
    attention = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=device)
    stop = StopAfterText(decode, width, len(prompts), eos_ids)
    processors = LogitsProcessorList()
    if not sampling.greedy:
        processors.append(RowSampler([s or 0 for s in seeds], sampling.temperature, sampling.top_p))
    cache = None
    if prefix is not None:
        cache = prefix.reusable(prompts[0])
        if cache is None and growing_cache.fits(model.config):
            cache = growing_cache.GrowingCache()
        # generate extends `cache` in place: until it returns, the record holds nothing
        prefix.kv, prefix.tokens = None, []
    with torch.inference_mode():
        result = model.generate(
            input_ids=input_ids, attention_mask=attention, cache=cache,
            return_dict_in_generate=True, max_new_tokens=sampling.max_new_tokens, do_sample=False,
            num_beams=1, temperature=None, top_p=None, top_k=None, logits_processor=processors,
            stopping_criteria=StoppingCriteriaList([stop]), pad_token_id=pad_id,
            eos_token_id=sorted(eos_ids),
        )
    out = result.sequences
    if prefix is not None:
        prefix.kv = result.cache
        prefix.tokens = out[0, : prefix.kv.get_seq_length()].tolist()
    results = []
    for row in range(len(prompts)):
        end = stop.ended_at[row] or out.shape[1]
        tokens = out[row, width:end].tolist()
        body = tokens[:-1] if tokens and tokens[-1] in eos_ids else tokens
        text = decode(body, True)
        cut = text.find(STOP_TEXT)
        if cut >= 0:
            text = text[: cut + len(STOP_TEXT)]
        results.append(RowOutput(tokens, text))
    return results

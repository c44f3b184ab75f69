"""A local transformers model as a policy. One HFModel is shared by all rollout threads (each with
its own HFPolicy). On a GPU concurrent calls are batched by a worker thread (see hf_batcher.py); on
a CPU each rollout reuses its own KV cache from turn to turn (PrefixCache in hf_generate.py).

Determinism: greedy rows and sampled rows (each drawn with its own seeded generator) do not depend
on their batch neighbours, up to float rounding: left padding changes matmul shapes, so logits move
by ~1e-6, which can flip a greedy argmax only at a near-tie and a draw only at a CDF boundary.
Measured equal batched vs alone on the tiny test model and on SmolLM2 (8 prompts x 40 tokens).
On a busy shared CPU, torch's default intra-op threads can slow decoding ~10x: callers may want
torch.set_num_threads(1) (process-wide, so it is not done here)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Self

import torch

from artifact.policies.base import STUDENT, ContextLimitReached, PolicyError, Reply
from artifact.policies.hf_batcher import Batcher
from artifact.policies.hf_generate import PrefixCache, RowOutput, Sampling, generate_batch

# Tokenizers saved from a `tokenizers` object: AutoTokenizer would swap in the model family's
# class (e.g. Qwen2Tokenizer), which splits numbers differently (env-notes: reload trap).
_PLAIN_FAST = {"PreTrainedTokenizerFast", "TokenizersBackend"}


class ModelLoadError(ValueError):
    """The model folder, adapter or tokenizer cannot be used; the message is one line."""


def load_tokenizer(path: str | Path, tokenizer_class: type | str | None = None):
    """The folder's tokenizer, as the class it was saved as when that is a plain fast tokenizer."""
    import transformers

    if tokenizer_class is None:
        config = Path(path) / "tokenizer_config.json"
        named = json.loads(config.read_text()).get("tokenizer_class") if config.is_file() else None
        if named in _PLAIN_FAST:
            tokenizer_class = transformers.PreTrainedTokenizerFast
    if isinstance(tokenizer_class, str):
        tokenizer_class = getattr(transformers, tokenizer_class)
    return (tokenizer_class or transformers.AutoTokenizer).from_pretrained(str(path))


def split_adapter_folder(path: str | Path) -> tuple[str, str | None]:
    """A LoRA adapter folder (adapter_config.json, no config.json; e.g. from `oec train --lora`)
    stands for its base model plus itself: (base, adapter). Any other path: (path, None)."""
    folder = Path(path)
    config = folder / "adapter_config.json"
    if (folder / "config.json").is_file() or not config.is_file():
        return str(path), None
    try:
        base = json.loads(config.read_text()).get("base_model_name_or_path")
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{config}: unreadable ({_one_line(exc)})") from exc
    if not base:
        raise ModelLoadError(f"{config}: names no base_model_name_or_path")
    if not (Path(base) / "config.json").is_file():
        raise ModelLoadError(f"{path}: its base model {base} is not a model folder")
    return str(base), str(path)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _ids(value) -> set[int]:
    if value is None:
        return set()
    return {int(v) for v in value} if isinstance(value, (list, tuple)) else {int(value)}


class HFModel:
    def __init__(self, path: str, adapter: str | None = None, device: str = "cpu", dtype=None,
                 max_batch_size: int = 8, batch_wait_ms: float = 20,
                 tokenizer_class: type | str | None = None, reuse_prefix: bool | None = None):
        from transformers import AutoModelForCausalLM, GenerationConfig

        if adapter is None:
            path, adapter = split_adapter_folder(path)
        if not (Path(path) / "config.json").is_file():
            raise ModelLoadError(f"{path}: not a model folder (no config.json)")
        if adapter is not None and not (Path(adapter) / "adapter_config.json").is_file():
            raise ModelLoadError(f"{adapter}: not a LoRA adapter folder (no adapter_config.json)")
        if dtype is None:  # fp32 on the CPU (bf16 matmuls are slow there); else as saved
            dtype = torch.float32 if device == "cpu" else "auto"
        try:
            self.tokenizer = load_tokenizer(path, tokenizer_class)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
        except Exception as exc:  # one clear line instead of a loader traceback
            raise ModelLoadError(f"{path}: cannot load model ({_one_line(exc)})") from exc
        if not self.tokenizer.chat_template:
            raise ModelLoadError(f"{path}: the tokenizer has no chat template")
        self.eos_ids = _ids(model.generation_config.eos_token_id) | _ids(self.tokenizer.eos_token_id)
        if not self.eos_ids:
            raise ModelLoadError(f"{path}: neither the model nor the tokenizer names an EOS token")
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad) if pad is not None else min(self.eos_ids)
        # A clean generation config: generate() fills unset options from the model's own one
        # (do_sample, temperature, repetition_penalty, ...), which would silently change decoding.
        model.generation_config = GenerationConfig(
            bos_token_id=model.generation_config.bos_token_id, eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.pad_id)
        if adapter is not None:
            from peft import PeftModel

            try:
                model = PeftModel.from_pretrained(model, adapter)
            except Exception as exc:
                raise ModelLoadError(f"{adapter}: cannot load adapter ({_one_line(exc)})") from exc
            model = model.merge_and_unload()  # same function, no extra LoRA matmuls per step
        self.model = model.to(device).eval()
        config = model.config
        length = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
        if not length:
            raise ModelLoadError(f"{path}: config.json gives no context length")
        self.context_length = int(length)
        self.path, self.adapter = str(path), adapter
        # Two ways to share one model between rollout threads. On a GPU, batching concurrent
        # calls pays. On a CPU a small model's step is mostly Python overhead, and every turn
        # re-reads a prompt that repeats the last one up to the first newly elided observation:
        # each rollout keeps its KV cache and generates in its own thread instead (a student on
        # the 46 evaluation tasks, 2 workers: 180 -> 133 s wall, 44 rollouts with the same actions).
        self.reuse_prefix = device == "cpu" if reuse_prefix is None else reuse_prefix
        self.name = Path(path).name + (f"+{Path(adapter).name}" if adapter else "")
        # Rollout threads render while the worker decodes: the Rust tokenizer is not meant to be
        # used from several threads at once ("Already borrowed" when its settings change).
        self._tokenizer_lock = threading.Lock()
        self._batcher = Batcher(self._run_batch, max_batch_size, batch_wait_ms)

    def render(self, messages: list[dict]) -> list[int]:
        """The prompt tokens for the next assistant turn. Only role and content reach the
        template: the loop's bookkeeping keys (kind, author, ...) are not part of the chat."""
        chat = [{"role": m["role"], "content": m["content"]} for m in messages]
        with self._tokenizer_lock:
            text = self.tokenizer.apply_chat_template(chat, tokenize=False,
                                                      add_generation_prompt=True)
            return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        with self._tokenizer_lock:
            return self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)

    def complete(self, prompt: list[int], sampling: Sampling, seed: int | None = None,
                 prefix: PrefixCache | None = None) -> tuple[RowOutput, int]:
        """Generate one completion; returns it and the batch size. With a rollout's prefix cache it
        runs in this thread, reusing the cache; otherwise it is batched with concurrent callers."""
        if prefix is not None:
            return generate_batch(self.model, self.decode, [prompt], sampling, [seed], self.eos_ids,
                                  self.pad_id, prefix)[0], 1
        return self._batcher.submit(prompt, sampling, seed)

    @property
    def batch_sizes(self):
        """Counter: batch size -> number of generate calls that ran with it."""
        return self._batcher.batch_sizes

    def close(self) -> None:
        self._batcher.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _run_batch(self, prompts: list[list[int]], sampling: Sampling,
                   seeds: list[int | None]) -> list[RowOutput]:
        return generate_batch(self.model, self.decode, prompts, sampling, seeds, self.eos_ids,
                              self.pad_id)


def call_seed(seed: int, call_index: int) -> int:
    """A seed per (rollout seed, call index): a rerun draws the same text, calls differ."""
    digest = hashlib.sha256(f"{seed}:{call_index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1  # manual_seed takes a non-negative int64


class HFPolicy:
    def __init__(self, model: HFModel, temperature: float = 0.0, top_p: float = 1.0, seed: int = 0,
                 max_new_tokens: int = 512, author: str = STUDENT):
        self.model, self.seed, self.author = model, seed, author
        self.sampling = Sampling(float(temperature), float(top_p), int(max_new_tokens))
        self.name = model.name
        self.calls = 0
        # This rollout's KV cache, when the model reuses prompt prefixes (see HFModel).
        self.prefix = PrefixCache() if model.reuse_prefix else None

    def act(self, messages: list[dict]) -> Reply:
        start = time.monotonic()
        prompt = self.model.render(messages)
        budget = self.model.context_length
        if len(prompt) + self.sampling.max_new_tokens > budget:
            raise ContextLimitReached(
                f"prompt of {len(prompt)} tokens + {self.sampling.max_new_tokens} new tokens "
                f"exceeds the context of {budget}")
        seed = None if self.sampling.greedy else call_seed(self.seed, self.calls)
        self.calls += 1
        try:
            output, _ = self.model.complete(prompt, self.sampling, seed, self.prefix)
        except Exception as exc:  # any generation failure ends this rollout only
            raise PolicyError(f"{self.name}: generation failed ({_one_line(exc)})") from exc
        return Reply(text=output.text, author=self.author, model=self.name,
                     prompt_tokens=len(prompt), completion_tokens=len(output.tokens),
                     seconds=time.monotonic() - start)

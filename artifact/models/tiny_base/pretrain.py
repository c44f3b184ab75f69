"""tiny-base's pretraining loop: plain torch, deterministic for a seed, resumable.

Plain torch rather than HF Trainer because the data is generated per step (a pure function of
seed, phase and step), so resuming needs only the model, the optimizer and the step counter; and a
wall-clock cap must stop cleanly between steps. The recipe (phases, steps, shapes) is fixed; the
minutes cap only decides how far along it a run gets, and BUILD.md records where it stopped.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from artifact.models.tiny_base.corpus import batch_at


@dataclass(frozen=True)
class Phase:
    name: str  # a key of corpus.PHASES
    steps: int
    batch_size: int
    seq_len: int
    # A phase with its own constant lr is outside the cosine (so appending one at the end of a
    # recipe leaves the earlier steps' schedule, and so their weights, exactly as they were).
    lr: float | None = None


@dataclass(frozen=True)
class ModelShape:
    # head_dim = hidden / heads = 32 (vLLM rejects 16). 128 wide as env-notes' ~1M model that
    # learned to copy; 4 layers rather than 3, because copying real code needs induction over
    # more than the previous token (3 layers plateaued near 80% per-token on held-out lines).
    # Measured on the shared 2-core machine, 1 thread: ~220 greedy tok/s after 1,500 tokens.
    hidden_size: int = 128
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 4
    intermediate_size: int = 512
    max_position_embeddings: int = 8192


@dataclass(frozen=True)
class Recipe:
    phases: tuple[Phase, ...] = (
        # Pure copying of random material first, short rows: copying appears abruptly after a
        # plateau (~1,750 steps of 4 x 512 in the prototypes; env-notes saw the same jump).
        Phase("warmup", steps=2000, batch_size=4, seq_len=512),
        # Copying from long views of real (renamed) code, in every exercise format.
        Phase("copy_long", steps=1100, batch_size=4, seq_len=1024),
        # Then copying + code + tool-format conversations. (Steps 0-3999 are v0's recipe.)
        Phase("mix", steps=900, batch_size=4, seq_len=1024),
        # Then mostly what a student needs: continue a viewed line from its first words.
        Phase("lines", steps=550, batch_size=4, seq_len=1024, lr=1e-3),
        # Then the agent's first steps grounded in the issue: its function name into the grep,
        # the grep hit into the view. (Steps 0-4549 are v2's recipe.)
        Phase("ground", steps=500, batch_size=4, seq_len=1024, lr=1e-3),
        # Then a reporter's suggested fix copied from the issue into the str_replace.
        # (Steps 0-5049 are v4's recipe.)
        Phase("suggest", steps=800, batch_size=4, seq_len=1024, lr=1e-3),
    )
    shape: ModelShape = field(default_factory=ModelShape)
    peak_lr: float = 2e-3  # constant through the warm-up phase
    later_lr: float = 1e-3  # cosine from here over the later phases (decay sharpened copying)
    final_lr_fraction: float = 0.1
    lr_warmup_steps: int = 50
    weight_decay: float = 0.01
    checkpoint_every: int = 50

    @property
    def total_steps(self) -> int:
        return sum(p.steps for p in self.phases)

    def phase_at(self, step: int) -> tuple[Phase, int]:
        """The phase of a global step and the step's index inside it."""
        for phase in self.phases:
            if step < phase.steps:
                return phase, step
            step -= phase.steps
        raise IndexError(step)

    def lr_at(self, step: int) -> float:
        """Linear warm-up, `peak_lr` through the first phase, then cosine from `later_lr` down to
        `final_lr_fraction` of it over the remaining phases, except that a phase with its own `lr`
        runs at that constant lr (a pure function of the step)."""
        if step < self.lr_warmup_steps:
            return self.peak_lr * (step + 1) / self.lr_warmup_steps
        phase, _ = self.phase_at(min(step, self.total_steps - 1))
        if phase.lr is not None:
            return phase.lr
        first = self.phases[0].steps
        if step < first:
            return self.peak_lr
        scheduled = sum(p.steps for p in self.phases if p.lr is None)
        progress = (step - first) / max(1, scheduled - first)
        cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return self.later_lr * (self.final_lr_fraction + (1 - self.final_lr_fraction) * cosine)


def build_model(shape: ModelShape, tokenizer, seed: int) -> Qwen2ForCausalLM:
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        **asdict(shape),
        tie_word_embeddings=True,  # a third of a tiny model's parameters would be the output layer
        rope_theta=10000.0,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        attention_dropout=0.0,
    )
    return Qwen2ForCausalLM(config)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def _save_checkpoint(path: Path, model, optimizer, step: int, seconds: float) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "step": step, "seconds": seconds}, tmp)
    os.replace(tmp, path)  # atomic: an interrupted save never corrupts the last checkpoint


@dataclass
class TrainResult:
    steps_done: int
    seconds: float
    stopped_early: bool
    log: list[dict]


def train(model, tokenizer, recipe: Recipe, seed: int, work: Path, minutes: float | None = None,
          on_log: Callable[[dict], None] | None = None, log_every: int = 10,
          probe: Callable[[], dict] | None = None, probe_every: int = 100,
          stop_at: int | None = None, threads: int | None = None) -> TrainResult:
    """Run (or resume) the recipe, checkpointing into `work`. Stops between steps once the training
    wall time (summed over resumes) exceeds `minutes`. `probe` (a read-only measurement, e.g. copy
    accuracy) runs every `probe_every` steps and at each phase's end; its time is not counted.
    `stop_at` ends the run after that global step, as an interruption would (tests, prototyping).
    `threads` is not part of the recipe: on these machines 1 and 2 threads gave bit-identical
    weights (60 steps of the real recipe; a test resumes across counts), so a build may resume
    with another count. Alone on 2 cores, 2 threads take ~0.55x the time of one; on a busy
    machine one can be faster (spinning OpenMP threads)."""
    if threads is not None:
        torch.set_num_threads(threads)
    seed_everything(seed)
    work.mkdir(parents=True, exist_ok=True)
    checkpoint, log_path = work / "checkpoint.pt", work / "train_log.jsonl"
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.peak_lr, betas=(0.9, 0.95),
                                  weight_decay=recipe.weight_decay)
    step, seconds = 0, 0.0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, seconds = state["step"], state["seconds"]
    log = [json.loads(line) for line in log_path.read_text().splitlines()] if log_path.exists() else []
    log = [entry for entry in log if entry["step"] <= step]  # drop entries past the checkpoint
    log_path.write_text("".join(json.dumps(entry) + "\n" for entry in log))

    model.train()
    started, window_loss, window_n = time.monotonic(), 0.0, 0
    budget = None if minutes is None else minutes * 60
    while step < min(recipe.total_steps, stop_at if stop_at is not None else recipe.total_steps):
        if budget is not None and seconds + (time.monotonic() - started) >= budget:
            break
        phase, index = recipe.phase_at(step)
        input_ids, labels = batch_at(tokenizer, phase.name, seed, index, phase.batch_size, phase.seq_len)
        for group in optimizer.param_groups:
            group["lr"] = recipe.lr_at(step)
        loss = model(input_ids=input_ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        window_loss += loss.item()
        window_n += 1
        phase_end = index + 1 == phase.steps
        if step % log_every == 0 or phase_end:
            elapsed = seconds + time.monotonic() - started
            entry = {"step": step, "phase": phase.name, "loss": round(window_loss / window_n, 4),
                     "lr": recipe.lr_at(step - 1), "tokens": _tokens_through(recipe, step),
                     "seconds": round(elapsed, 1)}
            if probe is not None and (step % probe_every == 0 or phase_end):
                paused = time.monotonic()
                model.eval()
                entry["probe"] = probe()
                model.train()
                started += time.monotonic() - paused  # probing is not training time
            log.append(entry)
            with log_path.open("a") as handle:
                handle.write(json.dumps(entry) + "\n")
            if on_log:
                on_log(entry)
            window_loss, window_n = 0.0, 0
        if step % recipe.checkpoint_every == 0 or step == recipe.total_steps:
            _save_checkpoint(checkpoint, model, optimizer, step, seconds + time.monotonic() - started)
    seconds += time.monotonic() - started
    _save_checkpoint(checkpoint, model, optimizer, step, seconds)
    model.eval()
    return TrainResult(step, seconds, step < recipe.total_steps, log)


def _tokens_through(recipe: Recipe, steps: int) -> int:
    """Tokens (padding included) seen in the first `steps` steps."""
    total = 0
    for phase in recipe.phases:
        done = min(steps, phase.steps)
        total += done * phase.batch_size * phase.seq_len
        steps -= done
    return total

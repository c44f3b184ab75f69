"""TrainConfig: every training knob, read from the `[train]` section of a scale's TOML file.

The TOML file is the only source of defaults (no second copy here); CLI options override single
keys. Fields that only change how a run is observed (save_every, log_every, threads) may differ
when a run is resumed; every other field must match the run being resumed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from artifact.configs import ConfigError, section

# May change between a run and its resumption without changing what is trained (unpadded_rows
# changes only the order in which the same per-token losses are summed).
OPERATIONAL = ("save_every", "log_every", "threads", "unpadded_rows")


@dataclass
class TrainConfig:
    lora: bool  # LoRA adapter (peft) instead of a full fine-tune
    epochs: int
    lr: float  # peak learning rate (AdamW), cosine decay to 0 after the warm-up
    weight_decay: float
    warmup_steps: int  # optimizer steps of linear warm-up
    batch_tokens: int  # padded tokens per micro-batch and process; 0: batch by batch_size
    batch_size: int  # examples per micro-batch and process; 0: batch by batch_tokens
    grad_accum: int  # micro-batches per optimizer step (per process)
    max_length: int  # longer examples are dropped (and counted)
    max_grad_norm: float
    bf16: bool  # bf16 autocast when the hardware supports it, else fp32
    gradient_checkpointing: bool
    lora_r: int
    lora_alpha: int
    lora_dropout: float
    lora_target_modules: list[str]
    save_every: int  # optimizer steps between checkpoints
    log_every: int  # optimizer steps between train_log.jsonl entries
    seed: int
    group_size: int  # examples sorted by length together before batching
    threads: int  # torch CPU threads; 0: torch's default
    # Run each example of a micro-batch alone, unpadded, accumulating its gradient: the same loss
    # and step, but on a CPU the padding mask sends SDPA attention to its slow masked kernel
    # (1.5x the time per token, measured with tiny-base: bench/train_throughput.py).
    unpadded_rows: bool

    @classmethod
    def for_scale(cls, scale: str, **overrides) -> TrainConfig:
        """The scale's `[train]` section with `overrides` (None values ignored) applied. Choosing
        one batching mode on the command line switches the other one off."""
        values = section(scale, "train")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(f"[train] of scale {scale!r}: unknown key(s) {', '.join(unknown)}")
        missing = sorted(names - set(values))
        if missing:
            raise ConfigError(f"[train] of scale {scale!r}: missing key(s) {', '.join(missing)}")
        given = {k: v for k, v in overrides.items() if v is not None}
        if given.get("batch_tokens") and "batch_size" not in given:
            given["batch_size"] = 0
        if given.get("batch_size") and "batch_tokens" not in given:
            given["batch_tokens"] = 0
        bad = sorted(set(given) - names)
        if bad:
            raise ConfigError(f"unknown training option(s) {', '.join(bad)}")
        config = cls(**{**values, **given})
        config.validate()
        return config

    def validate(self) -> None:
        if (self.batch_tokens > 0) == (self.batch_size > 0):
            raise ConfigError("set exactly one of batch_tokens and batch_size (the other to 0)")
        if self.batch_tokens and self.batch_tokens < self.max_length:
            raise ConfigError(f"batch_tokens {self.batch_tokens} < max_length {self.max_length}: "
                              "the longest examples would not fit a micro-batch")
        positive = ("epochs", "lr", "grad_accum", "max_length", "save_every", "log_every",
                    "group_size")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive (got {getattr(self, name)})")
        if self.warmup_steps < 0 or self.weight_decay < 0 or self.max_grad_norm <= 0:
            raise ConfigError("warmup_steps and weight_decay must be >= 0, max_grad_norm > 0")
        if self.lora and (self.lora_r <= 0 or not self.lora_target_modules):
            raise ConfigError("LoRA needs lora_r > 0 and at least one lora_target_modules entry")

    def to_dict(self) -> dict:
        return asdict(self)

    def identity(self) -> dict:
        """The fields that decide what is trained (compared when resuming)."""
        return {k: v for k, v in asdict(self).items() if k not in OPERATIONAL}

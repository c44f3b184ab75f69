"""The SFT loop: accelerate for devices and processes, AdamW, cosine schedule with warm-up.

Gradient accumulation is done here rather than by accelerate's `accumulate()`: an optimizer step's
loss is the sum of token losses divided by the loss tokens of the whole step (all micro-batches,
all processes), so long and short examples weigh per token, and an epoch's last step may hold fewer
micro-batches. accelerate's version averages per micro-batch over fixed-size windows. Each
micro-batch's loss is model(..., num_items_in_batch=<step loss tokens>) (sum / that count); it is
multiplied by the number of processes because DDP/FSDP average gradients across them. Micro-
batches before the last of a step run under no_sync (no gradient all-reduce).
DeepSpeed is refused: its engine does its own accumulation and stepping.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from artifact.generation.provenance import provenance
from artifact.train.batching import EpochPlan, collate, forward_groups, plan_epochs
from artifact.train.checkpoint import (
    TrainerState,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
    save_only_trainable,
)
from artifact.train.config import TrainConfig
from artifact.train.data import TokenizedData, TrainError, tokenize_dataset
from artifact.train.model_setup import (
    load_model,
    load_training_tokenizer,
    pad_id,
    parameter_counts,
    resolve_model,
)
from artifact.train.run_folder import (
    append_log,
    check_run_folder,
    export_model,
    finish_run_folder,
    read_log,
    start_run_folder,
    truncate_log,
)


def _quiet(*_args) -> None:
    return None


@dataclass
class Hooks:
    """Progress callbacks, called on the main process only. Any object with these three
    methods will do (the CLI passes a rich progress bar)."""
    say: Callable[[str], None] = _quiet
    on_start: Callable[[int, int], None] = _quiet  # (total steps, steps already done)
    on_step: Callable[[int, dict | None], None] = _quiet  # (step, log entry if one was written)


@dataclass
class TrainResult:
    out: Path
    steps: int
    already_finished: bool = False
    resumed_from: int | None = None
    log: list[dict] = field(default_factory=list)
    main_process: bool = True  # False on the other processes of a multi-process run


def mixed_precision(bf16: bool) -> str:
    """bf16 autocast only where the hardware runs it natively; fp32 otherwise."""
    if bf16 and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16"
    return "no"


def micro_batch_loss(model, batch: dict, step_loss_tokens: int) -> torch.Tensor:
    """Sum of this micro-batch's token losses (labels -100 excluded) / the step's loss tokens."""
    return model(**batch, num_items_in_batch=step_loss_tokens).loss


def train(config: TrainConfig, data_path: Path, model_path: Path, out: Path,
          hooks: Hooks | None = None) -> TrainResult:
    """Train (or resume the run in `out`) and leave the model or adapter there. Run by every
    process of a multi-process launch; raises TrainError on bad input before writing anything."""
    from accelerate import Accelerator
    from accelerate.utils import DistributedType, set_seed
    from transformers import get_cosine_schedule_with_warmup

    if config.threads > 0:
        torch.set_num_threads(config.threads)
    # Every check that can fail on bad input runs before OUT is touched.
    base, adapter = resolve_model(model_path, config.lora)
    tokenizer = load_training_tokenizer(base)
    data = tokenize_dataset(data_path, tokenizer, config.max_length)
    precision = mixed_precision(config.bf16)
    accelerator = Accelerator(mixed_precision=precision)
    if accelerator.distributed_type == DistributedType.DEEPSPEED:
        raise TrainError("DeepSpeed is not supported by this loop (it steps the optimizer "
                         "itself); configure accelerate with FSDP or plain multi-GPU instead")
    hooks = hooks if (hooks and accelerator.is_main_process) else Hooks()
    if config.bf16 and precision == "no":
        hooks.say("bf16 requested but not supported by this hardware: training in fp32")
    world, main = accelerator.num_processes, accelerator.is_main_process
    identity = {"config": config.identity(), "model": str(base),
                "adapter": str(adapter) if adapter else None, "data_sha256": data.sha256,
                "processes": world}
    status = check_run_folder(out, identity)
    if status == "finished":
        hooks.say(f"{out} already holds this finished run; nothing to do")
        log = read_log(out)
        return TrainResult(out, log[-1]["step"] if log else 0, True, log=log)
    plans = plan_epochs(data.examples, config.epochs, config.seed, config.group_size,
                        config.batch_tokens, config.batch_size, world, config.grad_accum)
    if plans[0].micro_batches == 0:
        raise TrainError(f"{len(data.examples)} examples make fewer micro-batches than the "
                         f"{world} processes")
    total = sum(plan.steps for plan in plans)
    dropped = data.total - len(data.examples)
    if dropped:
        hooks.say(f"dropped {dropped} of {data.total} examples: {data.too_long} longer than "
                  f"{config.max_length} tokens, {data.no_loss} without loss tokens, "
                  f"{data.untokenizable} not tokenizable with exact labels")

    set_seed(config.seed)  # LoRA init and dropout
    model = load_model(base, adapter, config)
    trainable, params = parameter_counts(model)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=config.lr, weight_decay=config.weight_decay)
    # Not prepared: accelerate would step it once per process on each call.
    scheduler = get_cosine_schedule_with_warmup(optimizer, config.warmup_steps, total)
    model, optimizer = accelerator.prepare(model, optimizer)
    accelerator.register_for_checkpointing(scheduler)
    if config.lora:
        save_only_trainable(accelerator)
    run = _Run(config, accelerator, model, optimizer, scheduler, tokenizer, data, plans, total,
               out, hooks)
    manifest = {
        "kind": "lora" if config.lora else "full", "config": config.to_dict(),
        "seed": config.seed, "model": str(base), "adapter": str(adapter) if adapter else None,
        "data": data.summary(), "optimizer_steps": total, "processes": world,
        "precision": precision, "trainable_parameters": trainable, "parameters": params,
        "batches_left_out_per_epoch": [p.dropped for p in plans]}
    accelerator.wait_for_everyone()  # every process has checked OUT before it is written
    lock = start_run_folder(out, identity) if main else None
    try:
        accelerator.wait_for_everyone()
        return _resume_and_run(run, status, manifest)
    finally:
        if lock is not None:
            lock.close()


@dataclass
class _Run:
    """What the steps of one run work on."""
    config: TrainConfig
    accelerator: object
    model: object
    optimizer: object
    scheduler: object
    tokenizer: object
    data: TokenizedData
    plans: list[EpochPlan]
    total: int
    out: Path
    hooks: Hooks


def _resume_and_run(run: _Run, status: str, manifest: dict) -> TrainResult:
    accelerator, out, hooks = run.accelerator, run.out, run.hooks
    main = accelerator.is_main_process
    state = TrainerState()
    checkpoint = latest_checkpoint(out) if status == "resume" else None
    if checkpoint is not None:
        state = load_checkpoint(accelerator, checkpoint)
        state.resumed_at.append(state.step)
        hooks.say(f"resuming from {checkpoint.name}: step {state.step} of {run.total} "
                  f"(epoch {state.epoch + 1}, micro-batch {state.micro})")
    if main:
        truncate_log(out, state.step)
    hooks.say(f"{manifest['data']['kept']} examples, {manifest['data']['loss_tokens']} loss "
              f"tokens; {run.total} optimizer steps; {manifest['kind']}: "
              f"{manifest['trainable_parameters']:,} of {manifest['parameters']:,} parameters "
              f"trained; {manifest['processes']} process(es), precision {manifest['precision']}")
    hooks.on_start(run.total, state.step)
    _run_steps(run, state)
    export_model(accelerator, run.model, run.tokenizer, out, run.config.lora)
    log = read_log(out)
    if main:
        finish_run_folder(out, {
            **manifest, "tokens": state.tokens, "loss_tokens": state.loss_tokens,
            "final_loss": log[-1]["loss"] if log else None, "train_seconds": state.seconds,
            "resumed_at_steps": state.resumed_at, "provenance": provenance()})
    accelerator.wait_for_everyone()
    resumed_from = state.resumed_at[-1] if checkpoint is not None else None
    return TrainResult(out, state.step, False, resumed_from, log, main)


def _run_steps(run: _Run, state: TrainerState) -> None:
    """Optimizer steps from `state` to the end of the plan, logging and checkpointing."""
    config, accelerator, model, optimizer = run.config, run.accelerator, run.model, run.optimizer
    plans, data, out, hooks, total = run.plans, run.data, run.out, run.hooks, run.total
    world, rank = accelerator.num_processes, accelerator.process_index
    main = accelerator.is_main_process

    model.train()
    pad = pad_id(run.tokenizer)
    run_started, seconds_before = time.monotonic(), state.seconds
    window_loss = torch.zeros((), dtype=torch.float32, device=accelerator.device)
    window_tokens = window_loss_tokens = 0
    window_seconds = 0.0
    while state.epoch < len(plans):
        plan = plans[state.epoch]
        step_started = time.monotonic()
        micros = plan.step_of(state.micro)
        step_loss_tokens = plan.step_loss_tokens(micros)
        for micro in micros:
            pieces = forward_groups(plan.batch(micro, rank), config.unpadded_rows)
            for piece in pieces:
                batch = collate(data.examples, piece, pad)
                batch = {k: v.to(accelerator.device) for k, v in batch.items()}
                last = micro == micros[-1] and piece is pieces[-1]
                with contextlib.nullcontext() if last else accelerator.no_sync(model):
                    loss = micro_batch_loss(model, batch, step_loss_tokens)
                    accelerator.backward(loss * world)
                window_loss += loss.detach().float() * step_loss_tokens  # this piece's loss sum
        lr = optimizer.param_groups[0]["lr"]
        grad_norm = accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        optimizer.step()
        run.scheduler.step()
        optimizer.zero_grad(set_to_none=True)

        state.step += 1
        tokens = plan.step_tokens(micros)
        state.tokens += tokens
        state.loss_tokens += step_loss_tokens
        window_tokens += tokens
        window_loss_tokens += step_loss_tokens
        state.micro = micros[-1] + 1
        epoch_progress = plan.epoch + state.micro / plan.micro_batches
        if state.micro >= plan.micro_batches:
            state.epoch, state.micro = state.epoch + 1, 0
        window_seconds += time.monotonic() - step_started
        state.seconds = seconds_before + time.monotonic() - run_started

        entry = None
        if state.step % config.log_every == 0 or state.step == total:
            loss_sum = accelerator.reduce(window_loss, "sum").item()  # collective
            entry = {"step": state.step, "epoch": round(epoch_progress, 4),
                     "loss": round(loss_sum / max(1, window_loss_tokens), 6), "lr": lr,
                     "grad_norm": round(float(grad_norm), 6), "tokens": state.tokens,
                     "tokens_per_s": round(window_tokens / max(window_seconds, 1e-9), 1),
                     "seconds": round(state.seconds, 3)}
            if main:
                append_log(out, entry)
            window_loss.zero_()
            window_tokens = window_loss_tokens = 0
            window_seconds = 0.0
        if state.step % config.save_every == 0 and state.step < total:
            save_checkpoint(accelerator, out, state)
        hooks.on_step(state.step, entry)


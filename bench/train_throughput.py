"""Training throughput of `oec train`'s loop vs a bare torch loop vs TRL's SFTTrainer.

usage: python bench/train_throughput.py [--examples 200] [--epochs 1] [--repeats 3] [--threads 1]

All rows train the same tiny random Qwen2 (tiny-base's shape, ~1M parameters) on the same
pre-tokenized conversations and labels (loss on the expert's replies only), with the same optimizer
settings (AdamW, lr, weight decay, cosine with warm-up, clipping, token-weighted loss), fp32 on the
CPU, and about the same number of optimizer steps:

- ours: artifact.train.loop.train, length-grouped micro-batches under a padded-token budget,
  each row run unpadded (tiny's `unpadded_rows`); and the same with padded micro-batches;
- bare: forward + backward + AdamW on exactly our micro-batches (rows unpadded like ours),
  nothing else (our overhead);
- trl: SFTTrainer with input_ids + labels, a fixed batch size giving the same number of steps,
  its default random sampler; and with train_sampling_strategy="group_by_length". TRL's
  defaults of bf16 and gradient checkpointing are switched off to match the other rows.

tokens/s counts real (unpadded) tokens over the training loop only (model loading, tokenization
and dataset preparation excluded). Final loss: each trained model's token-weighted loss on the
whole dataset, computed the same way for all. TRL is not a project dependency: install it apart
(`pip install trl` in a separate venv, or `pip install --target DIR trl --no-deps` and
PYTHONPATH=DIR when its dependencies are already present).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch

from artifact.train.batching import collate, forward_groups, plan_epochs
from artifact.train.config import TrainConfig
from artifact.train.data import tokenize_dataset
from artifact.train.loop import micro_batch_loss, train

TARGET_RATIO = 1.2  # ours vs TRL's default
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def build_model(folder: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    corpus = [p.read_text() for p in sorted((ROOT / "artifact/agent").glob("*.py"))]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=1000, special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>", chat_template=CHATML)
    ids = tokenizer.convert_tokens_to_ids(SPECIALS)
    config = Qwen2Config(  # tiny-base's shape (artifact/models/tiny_base/pretrain.py)
        vocab_size=len(tokenizer), hidden_size=128, intermediate_size=512, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=4096,
        tie_word_embeddings=True, bos_token_id=None, eos_token_id=ids[2], pad_token_id=ids[0])
    torch.manual_seed(0)
    Qwen2ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def write_dataset(path: Path, n: int) -> None:
    """Agent-like conversations whose lengths vary ~20x (observations of 1..60 lines)."""
    rng = random.Random(0)
    words = (ROOT / "artifact/agent/loop.py").read_text().split()
    lines = []
    for i in range(n):
        observation = "\n".join(" ".join(rng.choices(words, k=8))
                                for _ in range(rng.randint(1, 60)))
        messages = [
            {"role": "system", "content": "You fix bugs.", "loss": False},
            {"role": "user", "content": f"Fix the bug in module{i}.py", "loss": False},
            {"role": "assistant", "content": "Look first.\n<function=bash>ls</function>",
             "loss": False},
            {"role": "user", "content": "OBSERVATION:\n" + observation, "loss": False},
            {"role": "assistant", "content": f"Fix it.\n<function=bash>sed -i s/a/b/ "
                                             f"module{i}.py</function>", "loss": True}]
        lines.append(json.dumps({"messages": messages}) + "\n")
    path.write_text("".join(lines))


def dataset_loss(model, examples, pad: int) -> float:
    model.eval()
    total = sum(e.loss_tokens for e in examples)
    loss = 0.0
    with torch.no_grad():
        for start in range(0, len(examples), 8):
            batch = collate(examples, list(range(start, min(start + 8, len(examples)))), pad)
            loss += micro_batch_loss(model, batch, 1).item()  # a plain sum of token losses
    return loss / total


def warm_up(model_dir: Path, examples, pad: int) -> None:
    """A few steps before any timing, so the first row does not pay first-call costs alone."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    first = min(24, len(examples))  # --examples may be small, and too-long examples are dropped
    for start in range(0, first, 8):
        batch = collate(examples, list(range(start, min(start + 8, first))), pad)
        model(**batch, num_items_in_batch=1).loss.backward()


def bare_loop(model_dir: Path, config: TrainConfig, examples, pad: int):
    from transformers import AutoModelForCausalLM, get_cosine_schedule_with_warmup

    torch.manual_seed(config.seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    plans = plan_epochs(examples, config.epochs, config.seed, config.group_size,
                        config.batch_tokens, config.batch_size, 1, 1)
    steps = sum(p.steps for p in plans)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, config.warmup_steps, steps)
    model.train()
    started = time.perf_counter()
    for plan in plans:
        for m in range(plan.micro_batches):
            for piece in forward_groups(plan.batch(m, 0), config.unpadded_rows):
                batch = collate(examples, piece, pad)
                model(**batch, num_items_in_batch=plan.loss_tokens[m]).loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
    return model, time.perf_counter() - started, steps


def trl_run(model_dir: Path, config: TrainConfig, examples, batch_size: int, work: Path,
            strategy: str):
    from datasets import Dataset, disable_progress_bars
    from transformers import AutoModelForCausalLM, PrinterCallback
    from trl import SFTConfig, SFTTrainer

    disable_progress_bars()

    from artifact.policies.hf import load_tokenizer

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    data = Dataset.from_list([{"input_ids": e.input_ids, "labels": e.labels} for e in examples])
    args = SFTConfig(
        output_dir=str(work), per_device_train_batch_size=batch_size, num_train_epochs=config.epochs,
        learning_rate=config.lr, weight_decay=config.weight_decay, lr_scheduler_type="cosine",
        warmup_steps=config.warmup_steps, max_grad_norm=config.max_grad_norm,
        max_length=config.max_length, seed=config.seed, save_strategy="no", report_to="none",
        logging_steps=10, use_cpu=True, dataloader_num_workers=0, disable_tqdm=True,
        optim="adamw_torch", train_sampling_strategy=strategy,
        # TRL's own defaults turn both on; every row here runs fp32 without checkpointing (bf16
        # autocast alone made TRL ~13x slower on this CPU).
        bf16=False, gradient_checkpointing=False)
    trainer = SFTTrainer(model=model, args=args, train_dataset=data,
                         processing_class=load_tokenizer(model_dir))
    trainer.remove_callback(PrinterCallback)
    tokens = sum(len(x) for x in trainer.train_dataset["input_ids"])
    started = time.perf_counter()
    output = trainer.train()
    return trainer.model, time.perf_counter() - started, output.global_step, tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-tokens", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per row, interleaved; the best is reported (shared machines "
                             "slow single runs down by up to 10x)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as transformers_logging

    from artifact.policies.hf import load_tokenizer

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        build_model(work / "model")
        write_dataset(work / "data.jsonl", args.examples)
        config = replace(TrainConfig.for_scale("tiny"), epochs=args.epochs, max_length=2048,
                         batch_tokens=args.batch_tokens, threads=args.threads, log_every=10,
                         save_every=10**6, warmup_steps=5)
        data = tokenize_dataset(work / "data.jsonl", load_tokenizer(work / "model"), 2048)
        examples, pad = data.examples, 0
        tokens = data.tokens * args.epochs
        lengths = sorted(e.length for e in examples)
        print(f"{len(examples)} examples, {lengths[0]}..{lengths[-1]} tokens (median "
              f"{lengths[len(lengths) // 2]}), {data.loss_tokens} loss tokens; {args.epochs} "
              f"epoch(s), {args.threads} thread(s), best of {args.repeats} interleaved runs")
        warm_up(work / "model", examples, pad)
        steps_ours = sum(p.steps for p in plan_epochs(
            examples, args.epochs, config.seed, config.group_size, config.batch_tokens, 0, 1, 1))

        def ours(rep: int, unpadded: bool = True):
            out = work / f"ours{rep}{'' if unpadded else '-padded'}"
            result = train(replace(config, unpadded_rows=unpadded), work / "data.jsonl",
                           work / "model", out)
            model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)
            return model, result.log[-1]["seconds"], result.steps

        runners = {"ours (oec train loop)": ours,
                   "ours, padded micro-batches": lambda rep: ours(rep, unpadded=False),
                   "bare fwd+bwd+AdamW": lambda rep: bare_loop(work / "model", config, examples,
                                                               pad)}
        try:
            import trl
        except ImportError:
            trl = None
            print("trl not installed: its rows are skipped. Install it apart, e.g. "
                  "`python -m venv /tmp/trl-venv && /tmp/trl-venv/bin/pip install trl` "
                  "(plus this project), or `pip install --target DIR trl --no-deps` and "
                  "PYTHONPATH=DIR")
        if trl is not None:
            batch_size = max(1, round(len(examples) * args.epochs / steps_ours))
            for strategy in ("random", "group_by_length"):
                def run_trl(rep: int, strategy: str = strategy):
                    model, seconds, steps, trl_tokens = trl_run(
                        work / "model", config, examples, batch_size,
                        work / f"trl-{strategy}-{rep}", strategy)
                    assert trl_tokens == data.tokens, (trl_tokens, data.tokens)
                    return model, seconds, steps
                runners[f"trl {trl.__version__} SFTTrainer bs={batch_size} {strategy}"] = run_trl
        speeds: dict[str, list[float]] = {name: [] for name in runners}
        results: dict[str, tuple[int, float]] = {}
        for rep in range(args.repeats):
            for name, run in runners.items():
                model, seconds, steps = run(rep)
                speeds[name].append(tokens / seconds)
                if name not in results:
                    results[name] = (steps, dataset_loss(model, examples, pad))
        print(f"{'':44s} {'best tok/s':>10s} {'median':>8s} {'steps':>6s} {'final loss':>10s}")
        for name, runs in speeds.items():
            steps, loss = results[name]
            print(f"{name:44s} {max(runs):10,.0f} {statistics.median(runs):8,.0f} {steps:6d} "
                  f"{loss:10.4f}")
        best = {name: max(runs) for name, runs in speeds.items()}
        ours_speed = best["ours (oec train loop)"]
        print(f"ours / bare: {ours_speed / best['bare fwd+bwd+AdamW']:.2f}x")
        print(f"ours / ours with padded micro-batches (unpadded_rows = false): "
              f"{ours_speed / best['ours, padded micro-batches']:.2f}x")
        trl_default = [v for k, v in best.items() if k.endswith(" random")]
        if trl_default:
            ratio = ours_speed / trl_default[0]
            verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
            print(f"ours / trl (default sampler): {ratio:.2f}x (target >= {TARGET_RATIO}x: "
                  f"{verdict})")
            grouped = [v for k, v in best.items() if k.endswith("group_by_length")]
            print(f"ours / trl (group_by_length): {ours_speed / grouped[0]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

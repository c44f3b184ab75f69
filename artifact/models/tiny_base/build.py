"""`oec tiny-base build`: tokenizer -> model -> pretraining -> probe -> a commit-ready folder
(safetensors weights, config, tokenizer, SHA256SUMS, BUILD.md).

Intermediate state (tokenizer, checkpoint, training log) lives in a work folder outside the output,
keyed by seed and recipe, so an interrupted build resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers import GenerationConfig

from artifact.models.tiny_base import probe as probes
from artifact.models.tiny_base.corpus import PHASES, tokenizer_texts
from artifact.models.tiny_base.pretrain import Recipe, build_model, train
from artifact.models.tiny_base.tokenizer import load_tokenizer, save_tokenizer, train_tokenizer

VOCAB_SIZE = 2048
WEIGHT_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json", "chat_template.jinja")


@dataclass
class BuildReport:
    out: Path
    steps_done: int
    total_steps: int
    train_seconds: float
    wall_seconds: float
    parameters: int
    vocab_size: int
    scores: dict
    greedy: dict


def recipe_digest(recipe: Recipe) -> str:
    blob = json.dumps({"recipe": asdict(recipe), "phases": PHASES, "vocab": VOCAB_SIZE},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def default_work_dir(seed: int, recipe: Recipe) -> Path:
    return Path.home() / ".cache" / "oec" / "tiny-base" / f"seed{seed}-{recipe_digest(recipe)}"


def _tokenizer(work: Path, seed: int):
    folder = work / "tokenizer"
    if not (folder / "tokenizer.json").exists():
        save_tokenizer(train_tokenizer(tokenizer_texts(seed), VOCAB_SIZE), folder)
    return load_tokenizer(folder)


def _monitor(model, tokenizer):
    """Copy accuracy during training (read-only, never used to select or stop: no leak)."""
    sets = {"random_spans": probes.random_span_items(32, seed=1),
            "heldout_lines": probes.held_out_line_items(32, seed=1),
            "heldout_paths": probes.held_out_path_items(32, seed=1),
            "heldout_prefix_lines": probes.held_out_prefix_items(32, seed=1)}

    def measure() -> dict:
        return {kind: sum(probes.teacher_forced_exact(model, tokenizer, items)) / len(items)
                for kind, items in sets.items()}
    return measure


def build(out: Path, seed: int = 0, minutes: float | None = 60.0, recipe: Recipe | None = None,
          work: Path | None = None, n_probe: int = 200, threads: int | None = None,
          echo=print) -> BuildReport:
    recipe = recipe or Recipe()
    work = work or default_work_dir(seed, recipe)
    wall_start = time.monotonic()
    tokenizer = _tokenizer(work, seed)
    model = build_model(recipe.shape, tokenizer, seed)
    result = train(model, tokenizer, recipe, seed, work, minutes=minutes, probe=_monitor(model, tokenizer),
                   probe_every=250, on_log=lambda e: echo(json.dumps(e)), threads=threads)
    model.eval()

    out.mkdir(parents=True, exist_ok=True)
    model.generation_config = GenerationConfig(
        eos_token_id=[tokenizer.eos_token_id, tokenizer.pad_token_id], pad_token_id=tokenizer.pad_token_id,
        do_sample=False)
    model.save_pretrained(out)
    save_tokenizer(tokenizer, out)
    shutil.copy(work / "train_log.jsonl", out / "train_log.jsonl")

    echo("probing ...")
    scores = probes.copy_probe(model, tokenizer, n=n_probe, seed=0)
    subset = (probes.random_span_items(20, seed=2) + probes.held_out_line_items(20, seed=2)
              + probes.held_out_path_items(20, seed=2))
    hits, _ = probes.greedy_check(model, tokenizer, subset)
    greedy = {"exact_on_60": sum(hits) / len(hits),
              "tokens_per_second": probes.greedy_speed(model, tokenizer)}
    report = BuildReport(out, result.steps_done, recipe.total_steps, result.seconds,
                         time.monotonic() - wall_start, sum(p.numel() for p in model.parameters()),
                         len(tokenizer), scores, greedy)
    (out / "BUILD.md").write_text(build_markdown(report, recipe, seed, minutes, result.log, n_probe))
    write_sha256sums(out)
    return report


def write_sha256sums(folder: Path) -> None:
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    lines = [f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}" for n in names]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def _curve(log: list[dict]) -> str:
    rows = ["| step | phase | tokens | train s | loss | random spans | held-out lines | held-out paths | prefix lines |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for entry in log:
        if "probe" in entry:
            p = entry["probe"]
            rows.append(f"| {entry['step']} | {entry['phase']} | {entry['tokens']:,} | {entry['seconds']:.0f} | "
                        f"{entry['loss']:.3f} | {p['random_spans']:.0%} | {p['heldout_lines']:.0%} | "
                        f"{p['heldout_paths']:.0%} | {p.get('heldout_prefix_lines', 0):.0%} |")
    return "\n".join(rows)


def build_markdown(report: BuildReport, recipe: Recipe, seed: int, minutes: float | None, log: list[dict],
                   n_probe: int) -> str:
    phases = "\n".join(f"  - `{p.name}`: {p.steps} steps x {p.batch_size} rows x {p.seq_len} tokens "
                       f"= {p.steps * p.batch_size * p.seq_len / 1e6:.1f}M tokens (padding included)"
                       + (f", at a constant lr {p.lr}" if p.lr is not None else "")
                       for p in recipe.phases)
    scores = "\n".join(f"| {k} | {v:.1%} |" for k, v in report.scores.items())
    stopped = ("" if report.steps_done == report.total_steps else
               f"\n**Stopped early by the {minutes}-minute cap at step {report.steps_done} of "
               f"{report.total_steps}.** The weights are the deterministic state after that many steps.\n")
    return f"""# tiny-base weights

Rebuild (deterministic for the seed and the number of steps reached on one machine; another
machine's float rounding can grow into a different model, docs/tiny-scale.md):

```
oec tiny-base build --out artifact/models/tiny_base/weights --seed {seed} --minutes {minutes}
```
{stopped}
- Seed: {seed}; steps: {report.steps_done} / {report.total_steps}; training time {report.train_seconds / 60:.1f} min
  (probing excluded),
  wall time of the last (resumed) invocation {report.wall_seconds / 60:.1f} min (torch {torch.__version__}, {torch.get_num_threads()} threads,
  {platform.machine()}; the machine was shared with other jobs, so times are not speeds).
- Model: Qwen2ForCausalLM, hidden {recipe.shape.hidden_size}, {recipe.shape.num_hidden_layers} layers,
  {recipe.shape.num_attention_heads} heads (head_dim {recipe.shape.hidden_size // recipe.shape.num_attention_heads}),
  intermediate {recipe.shape.intermediate_size}, context {recipe.shape.max_position_embeddings}, tied
  embeddings; {report.parameters:,} parameters; fp32 safetensors.
- Tokenizer: byte-level BPE, {report.vocab_size} tokens, ChatML template; load it with
  `artifact.models.tiny_base.tokenizer.load_tokenizer` (PreTrainedTokenizerFast).
- Recipe: AdamW (0.9, 0.95), lr {recipe.peak_lr} after {recipe.lr_warmup_steps} warm-up steps, constant
  through the first phase, then cosine from {recipe.later_lr} to {recipe.final_lr_fraction:.0%} of it over the
  rest (phases with their own lr excepted); gradient clip 1.0; weight decay {recipe.weight_decay}.
- Phases (mixes in corpus.py; answers carry the loss, contexts do not, code carries it all):
{phases}
- Data: pure copying of random material first (`warmup`); then copying from long views of the
  train repositories' code, identifiers renamed (`copy_long`); then copying + that code + tool-format
  conversations (`mix`); then mostly continuing a viewed line from its first words, plain and in
  str_replace calls, 40% of the views shuffled code no memory predicts (`lines`); then an agent's
  first steps taken from what it was shown: the function named in a synthetic issue into the grep,
  the grep hit's path and line into the view (`ground`); then a reporter's suggested fix (file,
  faulty code, fix) copied from a synthetic issue into the str_replace (`suggest`). Never: the
  held-out repository (statskit), task files or gold patches.

## Copy accuracy (held-out material; exact match of the whole answer)

Teacher-forced exact match on {n_probe} items per kind (equals greedy decoding's result when its
text tokenizes like the answer); `oec tiny-base probe` reproduces these numbers:

| probe | exact |
|---|---:|
{scores}

Real greedy generation on 60 other items: {report.greedy['exact_on_60']:.1%} exact.
Greedy decoding speed (batch 1, ~1,500-token context): {report.greedy['tokens_per_second']:.0f} tokens/s
(on the shared build machine).

## Training curve

{_curve(log)}

Files are listed with their hashes in SHA256SUMS.
"""

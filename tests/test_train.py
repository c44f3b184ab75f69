"""`oec train` on a tiny random Qwen2 built here (offline, seconds): loss goes down, masked tokens
never count, accumulation is token-weighted, full and LoRA outputs load back and generate, a
SIGKILLed run resumes to the same result, and bad input is one line with nothing lost."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from artifact.cli.main import cli
from artifact.data.tokenize import IGNORE_INDEX
from artifact.policies.hf import HFModel, HFPolicy
from artifact.train.batching import collate, epoch_batches
from artifact.train.config import TrainConfig
from artifact.train.data import tokenize_dataset
from artifact.train.loop import Hooks, micro_batch_loss, train

ROOT = Path(__file__).resolve().parents[1]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    corpus = [(ROOT / "artifact/agent" / n).read_text() for n in ("actions.py", "prompts.py")]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=500, special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>", chat_template=CHATML)
    ids = tokenizer.convert_tokens_to_ids(SPECIALS)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
        tie_word_embeddings=True, bos_token_id=ids[0], eos_token_id=ids[2], pad_token_id=ids[0])
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny")
    Qwen2ForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def conversation(n: int, loss: bool = True) -> dict:
    """A student turn (no loss) then an expert turn (loss) that depends on n: learnable."""
    return {"instance_id": f"r__f.{n}", "messages": [
        {"role": "system", "content": "You fix bugs.", "loss": False},
        {"role": "user", "content": f"Fix the bug in module{n}.py", "loss": False},
        {"role": "assistant", "content": "Let me look.\n<function=bash>ls</function>",
         "loss": False},
        {"role": "user", "content": f"OBSERVATION:\nmodule{n}.py tests", "loss": False},
        {"role": "assistant", "content": f"Fix it.\n<function=bash>sed -i s/x/y/ module{n}.py"
                                         "</function>", "loss": loss}]}


def write_dataset(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    return write_dataset(folder / "train.jsonl", [conversation(n % 8) for n in range(24)])


def tiny_config(**overrides) -> TrainConfig:
    return replace(TrainConfig.for_scale("tiny"), **{"max_length": 512, "batch_tokens": 1024,
                                                     "warmup_steps": 2, "threads": 1, **overrides})


def run_cli(*args: str):
    """`oec train ARGS --threads 1` in-process (one thread: a shared, busy CPU)."""
    result = CliRunner().invoke(cli, ["train", *args, "--threads", "1"])
    return result.exit_code, result.stdout, result.stderr.strip()


def read_log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]


# ---------------------------------------------------------------- loss and labels

def test_loss_goes_down(tiny_dir, dataset, tmp_path):
    out = tmp_path / "run"
    code, _, stderr = run_cli("--data", str(dataset), "--model", str(tiny_dir), "--out",
                              str(out), "--epochs", "8", "--lr", "3e-3", "--batch-tokens", "512",
                              "--max-length", "512", "--log-every", "1")
    assert code == 0, stderr
    log = read_log(out)
    assert [e["step"] for e in log] == list(range(1, len(log) + 1))
    first, last = log[0]["loss"], sum(e["loss"] for e in log[-3:]) / 3
    assert last < 0.5 * first, (first, last)
    assert {"step", "epoch", "loss", "lr", "tokens", "tokens_per_s", "seconds"} <= set(log[-1])
    assert log[-1]["epoch"] == 8.0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["optimizer_steps"] == len(log) and manifest["seed"] == 0
    assert "git_revision" in manifest["provenance"] and manifest["data"]["kept"] == 24


def test_masked_tokens_never_contribute(tiny_dir, tmp_path):
    """The loss equals a manual sum over label positions only, with padding in the batch."""
    from transformers import AutoModelForCausalLM

    from artifact.policies.hf import load_tokenizer

    dataset = write_dataset(tmp_path / "d.jsonl", [conversation(1), conversation(123456789)])
    data = tokenize_dataset(dataset, load_tokenizer(tiny_dir), 512)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    examples = data.examples
    indices = [0, 1]  # different lengths: the shorter row is padded
    assert examples[0].length < examples[1].length
    batch = collate(examples, indices, pad_id=0)
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE_INDEX).all()
    n = sum(examples[i].loss_tokens for i in indices)
    got = micro_batch_loss(model, batch, n).item()
    manual = 0.0
    for i in indices:  # each example alone, no padding; only positions with a label count
        ids = torch.tensor([examples[i].input_ids])
        logp = torch.log_softmax(model(input_ids=ids).logits[0, :-1].double(), dim=-1)
        for t, label in enumerate(examples[i].labels[1:]):
            if label != IGNORE_INDEX:
                manual -= logp[t, label].item()
    assert got == pytest.approx(manual / n, rel=1e-5)
    # and the labelled positions are exactly the expert reply's tokens
    masked = [label for label in examples[0].labels if label != IGNORE_INDEX]
    assert 0 < len(masked) < examples[0].length / 2


def test_accumulation_is_token_weighted(tiny_dir, tmp_path, monkeypatch):
    """One step over 2 examples: one padded micro-batch of 2 == the same micro-batch run row by
    row, unpadded (`unpadded_rows`) == two accumulated micro-batches of 1."""
    from safetensors.torch import load_file

    from artifact.train import loop

    rows_per_forward: list[int] = []

    def counting_collate(examples, indices, pad_id):
        rows_per_forward.append(len(indices))
        return collate(examples, indices, pad_id)

    monkeypatch.setattr(loop, "collate", counting_collate)
    data = write_dataset(tmp_path / "two.jsonl", [conversation(1), conversation(12345)])
    outs, norms, forwards = [], [], []
    for name, options in (
            ("together", {"batch_size": 2, "grad_accum": 1, "unpadded_rows": False}),
            ("unpadded", {"batch_size": 2, "grad_accum": 1, "unpadded_rows": True}),
            ("accumulated", {"batch_size": 1, "grad_accum": 2, "unpadded_rows": False})):
        config = tiny_config(epochs=1, batch_tokens=0, warmup_steps=0, **options)
        rows_per_forward.clear()
        result = train(config, data, tiny_dir, tmp_path / name)
        forwards.append(list(rows_per_forward))
        assert result.steps == 1
        norms.append(result.log[0]["grad_norm"])
        outs.append(load_file(str(tmp_path / name / "model.safetensors")))
    assert forwards == [[2], [1, 1], [1, 1]]  # padded once; row by row; one per micro-batch
    for other in (1, 2):
        assert norms[0] == pytest.approx(norms[other], rel=1e-4)  # the gradient's scale too
        assert outs[0].keys() == outs[other].keys()
        for key in outs[0]:
            torch.testing.assert_close(outs[0][key], outs[other][key], rtol=1e-4, atol=1e-6)


def test_length_grouped_batches_respect_budget_and_seed():
    lengths = [5, 50, 7, 48, 9, 52, 6, 49] * 4
    a = epoch_batches(lengths, seed=1, epoch=0, group_size=32, batch_tokens=100)
    assert sorted(i for b in a for i in b) == list(range(len(lengths)))
    assert all(max(lengths[i] for i in b) * len(b) <= 100 for b in a)
    assert a == epoch_batches(lengths, seed=1, epoch=0, group_size=32, batch_tokens=100)
    assert a != epoch_batches(lengths, seed=1, epoch=1, group_size=32, batch_tokens=100)
    # short examples are batched with short ones
    assert all(max(lengths[i] for i in b) < 10 or min(lengths[i] for i in b) > 40 for b in a)


# ---------------------------------------------------------------- outputs load back

@pytest.mark.parametrize("mode", ["--full", "--lora"])
def test_output_loads_and_generates(tiny_dir, dataset, tmp_path, mode):
    from artifact.policies.factory import role_policy
    from artifact.policies.hf import load_tokenizer
    from artifact.tasks.schema import Task

    out = tmp_path / mode.strip("-")
    code, _, stderr = run_cli("--data", str(dataset), "--model", str(tiny_dir), "--out", str(out),
                              mode, "--epochs", "1", "--max-length", "512",
                              "--batch-tokens", "1024")
    assert code == 0, stderr
    assert not (out / "checkpoints").exists() and (out / "manifest.json").is_file()
    assert load_tokenizer(out).chat_template == CHATML  # the folder carries its own tokenizer
    if mode == "--lora":
        adapter = json.loads((out / "adapter_config.json").read_text())
        assert adapter["base_model_name_or_path"] == str(tiny_dir.resolve())
        assert not (out / "config.json").exists()
    else:
        assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    with HFModel(str(out)) as model:
        assert model.tokenizer.chat_template
        assert (model.adapter is not None) == (mode == "--lora")
        policy = HFPolicy(model, max_new_tokens=8)
        reply = policy.act([{"role": "user", "content": "Fix the bug in module3.py"}])
        assert reply.completion_tokens > 0
    task = Task("r__f.3", "r", "0" * 40, "", "", [], [], "p", "1", repo_path="unused")
    assert role_policy(str(out), "student", max_new_tokens=4)(task, 0, "/tmp").name


# ---------------------------------------------------------------- SIGKILL and resume

def test_sigkill_resume_matches_uninterrupted(tiny_dir, dataset, tmp_path):
    """Kill a real `oec train` process after its first checkpoint; the same command resumes from
    the last checkpoint and ends exactly where an uninterrupted run ends."""
    out = tmp_path / "killed"
    args = ["--data", str(dataset), "--model", str(tiny_dir), "--out", str(out),
            "--epochs", "3", "--batch-size", "1", "--max-length", "512", "--save-every", "4",
            "--log-every", "1"]
    stderr_file = tmp_path / "first.stderr"  # run_cli below adds the same --threads 1
    with stderr_file.open("w") as stderr:
        first = subprocess.Popen([sys.executable, "-m", "artifact.cli.main", "train", *args,
                                  "--threads", "1"],
                                 cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
                                 stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 120
        while not list((out / "checkpoints").glob("step-*")):
            assert first.poll() is None, stderr_file.read_text()
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert not (out / "manifest.json").exists(), "finished before the kill: test inconclusive"
    killed_at = max(int(p.name.split("-")[1]) for p in (out / "checkpoints").glob("step-*"))
    assert killed_at < 72

    code, stdout, stderr = run_cli(*args)  # the same command again (in-process: faster)
    assert code == 0, stderr
    assert f"resuming from step-{killed_at:08d}: step {killed_at} of 72" in stdout
    log = read_log(out)
    assert [e["step"] for e in log] == list(range(1, 73))  # 24 examples x 3 epochs
    assert json.loads((out / "manifest.json").read_text())["resumed_at_steps"] == [killed_at]

    reference = tmp_path / "reference"  # the same run, never interrupted
    code, _, stderr = run_cli(*[str(reference) if a == str(out) else a for a in args])
    assert code == 0, stderr
    expected = read_log(reference)
    assert [e["loss"] for e in log] == pytest.approx([e["loss"] for e in expected], abs=1e-5)

class Crash(Exception):
    pass


def test_lora_crash_resume_keeps_adapter_only_and_matches(tiny_dir, dataset, tmp_path):
    """LoRA checkpoints hold only adapter weights; resuming restores them, the optimizer, the
    schedule and the RNG (LoRA dropout draws from it) exactly."""
    from safetensors.torch import load_file

    config = tiny_config(lora=True, epochs=1, batch_size=2, batch_tokens=0, save_every=3,
                         log_every=1, lora_dropout=0.1, lr=1e-2)

    def crash_at_5(step, entry):
        if step == 5:
            (tmp_path / "saved").write_text(",".join(sorted(load_file(str(
                next((tmp_path / "crashed" / "checkpoints").glob("step-*"))
                / "model.safetensors")).keys())))
            raise Crash

    with pytest.raises(Crash):
        train(config, dataset, tiny_dir, tmp_path / "crashed", Hooks(on_step=crash_at_5))
    saved = (tmp_path / "saved").read_text().split(",")
    assert saved and all("lora_" in key for key in saved)
    resumed = train(config, dataset, tiny_dir, tmp_path / "crashed")
    assert resumed.resumed_from == 3 and resumed.steps == 12
    reference = train(config, dataset, tiny_dir, tmp_path / "reference")
    assert [e["step"] for e in resumed.log] == list(range(1, 13))
    assert [e["loss"] for e in resumed.log] == pytest.approx(
        [e["loss"] for e in reference.log], abs=1e-6)


# ---------------------------------------------------------------- bad input

def assert_one_line(code: int, stderr: str, expected: str) -> None:
    assert code != 0
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("error: ") and expected in stderr, stderr


def test_bad_inputs(tiny_dir, dataset, tmp_path):
    out = tmp_path / "out"
    base = ["--out", str(out), "--max-length", "512", "--batch-tokens", "512"]
    code, _, err = run_cli("--data", str(dataset), "--model", str(tmp_path / "nope"), *base)
    assert_one_line(code, err, "no such model folder")
    empty = write_dataset(tmp_path / "empty.jsonl", [])
    code, _, err = run_cli("--data", str(empty), "--model", str(tiny_dir), *base)
    assert_one_line(code, err, "the dataset is empty")
    no_loss = write_dataset(tmp_path / "noloss.jsonl", [conversation(n, loss=False)
                                                        for n in range(3)])
    code, _, err = run_cli("--data", str(no_loss), "--model", str(tiny_dir), *base)
    assert_one_line(code, err, "none of the 3 examples has a loss token")
    malformed = tmp_path / "bad.jsonl"
    malformed.write_text(json.dumps(conversation(1)) + "\n{\"messages\": [\n")
    code, _, err = run_cli("--data", str(malformed), "--model", str(tiny_dir), *base)
    assert_one_line(code, err, f"{malformed}:2: json:")
    code, _, err = run_cli("--data", str(dataset), "--model", str(tiny_dir), *base,
                           "--max-length", "8")
    assert_one_line(code, err, "24 longer than max_length 8")
    assert not out.exists()  # nothing was created by any failed run


def test_existing_run_with_other_config_is_kept(tiny_dir, dataset, tmp_path):
    out = tmp_path / "out"
    args = ["--data", str(dataset), "--model", str(tiny_dir), "--out", str(out),
            "--max-length", "512", "--batch-tokens", "1024", "--epochs", "1"]
    assert run_cli(*args)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    code, _, err = run_cli(*args, "--lr", "1e-4")
    assert_one_line(code, err, "holds a run with a different setup (config.lr:")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    code, stdout, _ = run_cli(*args, "--save-every", "7")  # operational: same run, finished
    assert code == 0 and "already holds this finished run" in stdout
    (out / "manifest.json").unlink()  # as if unfinished, and another process holds the folder
    with (out / ".train.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code, _, err = run_cli(*args)
    assert_one_line(code, err, "another training process is using this folder")
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    code, _, err = run_cli(*args[:5], str(other), *args[6:])
    assert_one_line(code, err, "not empty and not a training run")
    assert (other / "keep.txt").read_text() == "mine"

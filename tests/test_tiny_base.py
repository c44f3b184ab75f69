"""tiny-base: tokenizer, chat template, committed weights, corpus hygiene, a seconds-long training."""

from __future__ import annotations

import hashlib
import os
import random
import re

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

torch = pytest.importorskip("torch")

from artifact.models.tiny_base import (
    WEIGHTS_DIR,
    corpus,
    load_tiny_base,
)
from artifact.models.tiny_base.pretrain import ModelShape, Phase, Recipe, build_model, train
from artifact.models.tiny_base.sources import rename, train_sources
from artifact.models.tiny_base.tokenizer import (
    CHAT_TEMPLATE,
    load_tokenizer,
    save_tokenizer,
    train_tokenizer,
)
from artifact.tasks.tiny_suite.build import REPOS_DIR, VERIFIED_ONLY

FIXED_TEXT = ("def add_tax(amount, percent):\n    tax = (amount * percent + 50) // 100\n"
              "<|im_start|>assistant\n<function=bash>\n<parameter=command>ls 12345</parameter>\n</function><|im_end|>")


@pytest.fixture(scope="module")
def toy_tokenizer(tmp_path_factory):
    """A small BPE trained on the train repositories (fast: ~0.2 s), saved and reloaded."""
    tokenizer = train_tokenizer([f.text for f in train_sources()], vocab_size=600)
    folder = tmp_path_factory.mktemp("tok")
    save_tokenizer(tokenizer, folder)
    return tokenizer, folder


def test_tokenizer_ids_survive_save_and_reload(toy_tokenizer, tmp_path):
    tokenizer, folder = toy_tokenizer
    reloaded = load_tokenizer(folder)
    assert reloaded(FIXED_TEXT).input_ids == tokenizer(FIXED_TEXT).input_ids
    assert type(reloaded).__name__ in ("PreTrainedTokenizerFast", "TokenizersBackend")
    # Digits stay single tokens (Qwen2's split), and specials are single ids.
    assert reloaded.convert_ids_to_tokens(reloaded("12345").input_ids) == list("12345")
    assert reloaded("<|im_start|><|im_end|><|endoftext|>").input_ids == [1, 2, 0]
    save_tokenizer(reloaded, tmp_path)
    assert load_tokenizer(tmp_path)(FIXED_TEXT).input_ids == tokenizer(FIXED_TEXT).input_ids


def test_viewed_line_tokenizes_like_the_typed_line(toy_tokenizer):
    """The tab of a `cat -n` view is its own token, so a viewed line's tokens are the tokens of the
    same line typed into old_str: copying can be token for token."""
    tokenizer = load_tokenizer(toy_tokenizer[1])
    line = "        return amount + tax"
    typed = tokenizer(line).input_ids
    viewed = tokenizer(f"    12\t{line}\n").input_ids
    assert viewed[-len(typed) - 1:-1] == typed


def test_chat_template_renders_chatml(toy_tokenizer):
    tokenizer = load_tokenizer(toy_tokenizer[1])
    messages = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    assert text == "<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert prompt == text + "<|im_start|>assistant\n"
    assert tokenizer.chat_template == CHAT_TEMPLATE
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|endoftext|>"


@pytest.mark.skipif(not (WEIGHTS_DIR / "SHA256SUMS").is_file(),
                    reason="tiny-base weights not built and committed yet (issue 3: `oec tiny-base build`)")
def test_committed_weights_match_sha256sums_and_load(tmp_path):
    sums = (WEIGHTS_DIR / "SHA256SUMS").read_text().split("\n")
    listed = {}
    for line in filter(None, sums):
        digest, name = line.split()
        listed[name] = digest
        assert hashlib.sha256((WEIGHTS_DIR / name).read_bytes()).hexdigest() == digest, name
    assert {"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json"} <= listed.keys()
    assert (WEIGHTS_DIR / "model.safetensors").stat().st_size < 8_000_000  # must stay small

    model, tokenizer = load_tiny_base()
    config = model.config
    assert config.model_type == "qwen2" and config.hidden_size // config.num_attention_heads >= 32
    assert config.max_position_embeddings >= 8192 and config.vocab_size == len(tokenizer)
    # The committed tokenizer also survives save -> reload through the project's loader.
    save_tokenizer(tokenizer, tmp_path)
    assert load_tokenizer(tmp_path)(FIXED_TEXT).input_ids == tokenizer(FIXED_TEXT).input_ids
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**prompt, max_new_tokens=4, do_sample=False)
    assert out.shape[1] > prompt["input_ids"].shape[1]


def test_tiny_pretraining_run_reduces_loss_and_resumes(toy_tokenizer, tmp_path):
    tokenizer = load_tokenizer(toy_tokenizer[1])
    shape = ModelShape(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                       intermediate_size=128, max_position_embeddings=1024)
    recipe = Recipe(phases=(Phase("warmup", 8, 4, 256), Phase("mix", 8, 4, 256)), shape=shape,
                    peak_lr=3e-3, lr_warmup_steps=2, checkpoint_every=4)
    threads = torch.get_num_threads()  # train() sets the process-wide count: restored below
    model = build_model(shape, tokenizer, seed=0)
    result = train(model, tokenizer, recipe, seed=0, work=tmp_path / "a", log_every=2, threads=1)
    losses = [e["loss"] for e in result.log]
    assert result.steps_done == 16 and not result.stopped_early
    assert losses[-1] < losses[0] - 0.5

    # Interrupted after step 6, then resumed from the checkpoint in a fresh process, with another
    # thread count (not part of the recipe, so not of the work folder's key): the same weights, bit
    # for bit.
    try:
        train(build_model(shape, tokenizer, seed=0), tokenizer, recipe, seed=0, work=tmp_path / "b",
              stop_at=6, threads=1)
        resumed = build_model(shape, tokenizer, seed=1)  # different init: all from the checkpoint
        train(resumed, tokenizer, recipe, seed=0, work=tmp_path / "b", log_every=2, threads=2)
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(model.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)


def _held_out_lines() -> set[str]:
    """statskit lines over 20 characters that no train repository also contains."""
    train_lines = {line.strip() for f in train_sources() for line in f.text.splitlines()}
    held = set()
    for repo in VERIFIED_ONLY:
        for path in (REPOS_DIR / repo).rglob("*.py"):
            held |= {line.strip() for line in path.read_text().splitlines() if len(line.strip()) > 20}
    return held - train_lines


def test_corpus_never_contains_held_out_code():
    assert not any(f.repo in VERIFIED_ONLY for f in train_sources())
    held = _held_out_lines()
    assert len(held) > 100
    texts = []
    for phase in corpus.PHASES:
        for step in (0, 1, 2):
            stream = corpus.documents(phase, seed=0, step=step)
            texts += [next(stream).text for _ in range(60)]
    sample = "\n".join(texts)
    leaked = [line for line in held if line in sample]
    assert not leaked, leaked[:3]


def test_corpus_is_deterministic_for_a_seed(toy_tokenizer):
    tokenizer = load_tokenizer(toy_tokenizer[1])
    a = corpus.batch_at(tokenizer, "mix", seed=3, step=5, batch_size=2, seq_len=512)
    b = corpus.batch_at(tokenizer, "mix", seed=3, step=5, batch_size=2, seq_len=512)
    c = corpus.batch_at(tokenizer, "mix", seed=4, step=5, batch_size=2, seq_len=512)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    assert (a[1] != corpus.IGNORE).any()  # some tokens carry loss


def test_rename_keeps_code_shape():
    source = next(f for f in train_sources() if f.path.endswith(".py") and "def " in f.text).text
    renamed = rename(source, random.Random(0))
    assert renamed != source
    assert renamed.count("\n") == source.count("\n")
    compile(renamed, "<renamed>", "exec")  # still valid Python


def test_prefix_exercises_cut_where_tokens_split(toy_tokenizer):
    """A line's prefix (what an old_str starts with) tokenizes as the start of the whole line, so
    the answer continues token for token."""
    from artifact.models.tiny_base import probe

    tokenizer = load_tokenizer(toy_tokenizer[1])
    items = probe.held_out_prefix_items(40, seed=0)
    for item in items:
        prefix = item.prompt.rsplit("\n", 1)[1]
        line = prefix + item.answer.split("\n", 1)[0]
        assert item.answer[0] in " \n"  # cut before a space-led pre-token (or at the line's end)
        ids = tokenizer.backend_tokenizer.encode(line, add_special_tokens=False).ids
        head = tokenizer.backend_tokenizer.encode(prefix, add_special_tokens=False).ids
        assert ids[:len(head)] == head
    doc = corpus.BUILDERS["prefix_recall"](random.Random(1))
    assert doc is None or any(loss for _, loss in doc.segments)


def test_expert_layout_makes_a_copied_line_the_same_tokens_as_in_the_view(toy_tokenizer):
    """The scripted expert (and the str_replace exercises) put old_str on its own lines. Unwrapped,
    a line ending in punctuation would glue it to `</parameter>` (`)</`): other tokens than the
    view's `)\n`. Wrapped, the line and its newline are token for token the view's."""
    from artifact.agent.actions import format_call, parse_action

    tokenizer = load_tokenizer(toy_tokenizer[1])
    line = "        if total > limit(amount):"
    viewed = tokenizer(f"    12\t{line}\n    13\t        pass\n").input_ids
    wanted = tokenizer(line + "\n").input_ids[1:]  # from the first word on
    wrapped = tokenizer(format_call("str_replace_editor", command="str_replace", path="/testbed/a.py",
                                    old_str=f"\n{line}\n", new_str="\nx\n")).input_ids
    glued = tokenizer(format_call("str_replace_editor", command="str_replace", path="/testbed/a.py",
                                  old_str=line, new_str="x")).input_ids

    def contains(ids, part):
        return any(ids[i:i + len(part)] == part for i in range(len(ids)))
    assert contains(viewed, wanted) and contains(wrapped, wanted) and not contains(glued, wanted)
    assert parse_action(tokenizer.decode(wrapped)).arguments["old_str"] == line


def test_shuffled_views_are_train_code_no_memory_predicts():
    """Runs of real lines in a random order, half of them with a token changed: a 4-line stretch
    of a view is (almost) never a stretch of a train file, so only copying can reproduce it."""
    rng = random.Random(5)
    views = [corpus._shuffled_lines(rng) for _ in range(40)]
    assert all(8 <= len(v) <= 40 for v in views)
    assert views[0] == corpus._shuffled_lines(random.Random(5))  # seeded
    train_text = "\n".join(f.text for f in train_sources())
    stretches = [v[i:i + 4] for v in views for i in range(0, len(v) - 3, 4)]
    known = sum("\n".join(stretch) in train_text for stretch in stretches)
    assert known < 0.1 * len(stretches), (known, len(stretches))


def test_a_phase_with_its_own_lr_leaves_the_earlier_schedule_as_it_was():
    recipe = Recipe()
    earlier = Recipe(phases=tuple(p for p in recipe.phases if p.lr is None))
    assert recipe.total_steps > earlier.total_steps
    assert all(recipe.lr_at(s) == earlier.lr_at(s) for s in range(0, earlier.total_steps, 7))
    extension = next(p for p in recipe.phases if p.lr is not None)
    assert recipe.lr_at(earlier.total_steps) == recipe.lr_at(recipe.total_steps - 1) == extension.lr


def test_probe_scores_locate_the_first_wrong_token(toy_tokenizer):
    """teacher_forced_scores against a fake model that predicts the gold next token except where
    told: exact items, a miss at the answer's first token (a wrong choice) and a later miss."""
    from types import SimpleNamespace

    from artifact.models.tiny_base import probe

    tokenizer = load_tokenizer(toy_tokenizer[1])
    items = [probe.ProbeItem("k", "Line 3 is:\n", "    return total + 1\n")] * 3
    prompt_len = len(tokenizer.backend_tokenizer.encode(items[0].prompt, add_special_tokens=False).ids)
    wrong_at = {1: 0, 2: 2}  # row -> answer token index predicted wrongly

    class Oracle:
        def __call__(self, input_ids, attention_mask):
            logits = torch.zeros(*input_ids.shape, tokenizer.vocab_size + 8)
            nxt = torch.roll(input_ids, -1, dims=1)
            for row in range(input_ids.shape[0]):
                target = nxt[row].clone()
                if row in wrong_at:
                    position = prompt_len - 1 + wrong_at[row]
                    target[position] = (target[position] + 1) % tokenizer.vocab_size
                logits[row, torch.arange(input_ids.shape[1]), target] = 1.0
            return SimpleNamespace(logits=logits)

    scores = probe.teacher_forced_scores(Oracle(), tokenizer, items)
    assert [s.exact for s in scores] == [True, False, False]
    assert [s.first_error for s in scores] == [None, 0, 2]
    n = scores[0].answer_tokens
    summary = probe.summarize(scores)
    assert summary["exact"] == 1 / 3 and summary["wrong_at_start"] == 1 / 3
    assert summary["token_accuracy"] == (3 * n - 2) / (3 * n)


def test_issue_search_exercise_takes_the_name_from_the_issue():
    """The grep's NAME is a fresh random identifier that only the issue mentions; the reply is a
    well-formed bash call and the only loss segment."""
    from artifact.agent.actions import parse_action

    for seed in range(40):
        doc = corpus.BUILDERS["issue_search_call"](random.Random(seed))
        user = next(t for t, _ in doc.segments if "<issue_description>" in t)
        reply = doc.segments[[loss for _, loss in doc.segments].index(True)][0]
        call = parse_action(reply.removesuffix("<|im_end|>"))
        name = re.fullmatch(r"grep -rn 'def (\w+)\(' --include=\*\.py \.", call.arguments["command"]).group(1)
        assert f"{name}(" in user and sum(loss for _, loss in doc.segments) == 1


def test_suggested_fix_exercise_copies_path_and_code_from_the_issue():
    """The str_replace's path, old_str and new_str stand in the issue's suggestion (the suite's
    own wording); the faulty code differs from the fix by one token; only the replies carry loss."""
    from artifact.agent.actions import parse_action
    from artifact.tasks.tiny_suite.statements import SUGGESTIONS

    built = 0
    for seed in range(30):
        doc = corpus.BUILDERS["suggested_fix_call"](random.Random(seed))
        if doc is None:
            continue
        built += 1
        replies = [t for t, loss in doc.segments if loss]
        assert len(replies) == 2 and "git status" in replies[0]
        edit = parse_action(replies[1].removesuffix("<|im_end|>")).arguments
        issue = doc.text.split("<|im_start|>assistant")[0]
        assert f"`{edit['path'].removeprefix('/testbed/')}`" in issue
        assert f"```python\n{edit['old_str']}\n```" in issue and f"```python\n{edit['new_str']}\n```" in issue
        assert any(s.split("{path}")[0] in issue for s in SUGGESTIONS)
        old, new = edit["old_str"].splitlines(), edit["new_str"].splitlines()
        assert len(old) == len(new) and sum(a != b for a, b in zip(old, new)) == 1
    assert built >= 25


def test_grep_view_exercise_copies_path_and_line_from_the_hit():
    """The view's path and first line are the grep hit's (to the end of the file, -1), and the
    grep searched for the name the user asked about: nothing in the answer is computed."""
    from artifact.agent.actions import parse_action

    ranged = 0
    for seed in range(40):
        doc = corpus.BUILDERS["grep_view_call"](random.Random(seed))
        if doc is None:
            continue
        replies = [t for t, loss in doc.segments if loss]
        grep = parse_action(replies[0].removesuffix("<|im_end|>")).arguments["command"]
        view = parse_action(replies[1].removesuffix("<|im_end|>")).arguments
        name = re.fullmatch(r"grep -rn 'def (\w+)\(' --include=\*\.py \.", grep).group(1)
        assert f"`{name}`" in doc.text.split("<|im_start|>assistant")[0]
        hits = re.findall(rf"^\./(\S+\.py):(\d+):\s*def {name}\(", doc.text, flags=re.MULTILINE)
        path = view["path"].removeprefix("/testbed/")
        if "view_range" in view:
            start, end = view["view_range"].strip("[]").split(", ")
            assert (path, start) in hits and end == "-1"
            ranged += 1
        else:
            assert path in [p for p, _ in hits]
    assert 20 < ranged < 40


def test_repair_exercise_restores_one_line_of_a_train_split_function():
    """The view shows the file from the function's definition with one body line changed; the
    str_replace turns exactly that line back into the repository's. Functions the verified tasks
    mutate never appear in the exercise (the probe keeps them), nor does the held-out repository."""
    from artifact.agent.actions import parse_action
    from artifact.tasks.tiny_suite.build import split_of

    train, verified = corpus.function_sites("train"), corpus.function_sites("verified")
    assert train and verified
    assert all(split_of(f.repo, name, 0) == "train" and f.repo != "statskit" for f, name, _, _ in train)
    assert not {(f.path, n) for f, n, _, _ in train} & {(f.path, n) for f, n, _, _ in verified}
    for seed in range(20):
        doc = corpus.BUILDERS["repair_call"](random.Random(seed))
        if doc is None:
            continue
        fix = parse_action([t for t, loss in doc.segments if loss][-1].removesuffix("<|im_end|>")).arguments
        original = next(f.text for f in corpus.train_sources() if fix["path"] == f"/testbed/{f.path}")
        old, new = fix["old_str"].strip("\n"), fix["new_str"].strip("\n")
        assert new in original.splitlines() and old not in original.splitlines()
        assert f"\t{old}\n" in doc.text  # the changed line is what the view showed

"""Copy probes for tiny-base, on material it never trained on.

- random_spans: repeat a span of random code-shaped tokens (unseen by construction).
- heldout_lines: "Line N is:" after a `cat -n` view of a file of the held-out repository (statskit).
- heldout_paths: "The file that defines `X` is:" after `grep -rnw X .` in the held-out repository.
- heldout_edits: finish a str_replace call (old_str copies a line, new_str changes one token) on
  held-out files, in the agent's tool-call format.
- heldout_prefix_lines: a str_replace call's old_str, given a held-out line's first 1-3 words,
  goes on to copy the rest of that line (how a student picks and copies the buggy line).
- issue_test_ids (with --tasks): copy the failing test ids of real task issues into a pytest call.
- issue_search (with --tasks): take the function under test from a real issue into the expert's
  first search, `grep -rn 'def NAME(' ...`.
- suggested_fix (with --tasks): copy a real issue's suggested fix (path, faulty code, fix) into
  the expert's `str_replace`.

Scoring: exact match of the whole answer, terminator included. Teacher-forced exact match (every
answer token is the argmax given the gold prefix) is exactly what greedy decoding produces when the
greedy text tokenizes like the gold text, so it is computed in one forward pass per batch;
`greedy_check` confirms it on a subset by real generation (text match, tokenization-independent).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import torch

from artifact.agent.prompts import observation_message
from artifact.models.tiny_base import corpus
from artifact.models.tiny_base import exercises as ex
from artifact.tasks.schema import Task
from artifact.tasks.tiny_suite.build import REPOS_DIR, VERIFIED_ONLY

HELD_OUT_REPO = VERIFIED_ONLY[0]


@dataclass(frozen=True)
class ProbeItem:
    kind: str
    prompt: str
    answer: str


def _split(kind: str, doc: ex.Doc) -> ProbeItem:
    """Prompt = everything before the document's single loss segment; answer = that segment."""
    index = next(i for i, (_, loss) in enumerate(doc.segments) if loss)
    return ProbeItem(kind, "".join(t for t, _ in doc.segments[:index]), doc.segments[index][0])


def held_out_files(with_init: bool = False) -> dict[str, list[str]]:
    root = REPOS_DIR / HELD_OUT_REPO
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8").splitlines()
            for p in sorted(root.rglob("*.py")) if with_init or p.name != "__init__.py"}


def _window(rng: random.Random, lines: list[str], size: int = 40) -> tuple[list[str], int]:
    start = rng.randint(0, max(0, len(lines) - size))
    return lines[start:start + size], start + 1


def random_span_items(n: int, seed: int = 0) -> list[ProbeItem]:
    return [_split("random_spans", ex.span_copy(random.Random(f"probe-span:{seed}:{i}"))) for i in range(n)]


def held_out_line_items(n: int, seed: int = 0) -> list[ProbeItem]:
    files = held_out_files()
    items = []
    for i in range(n):
        rng = random.Random(f"probe-line:{seed}:{i}")
        path = rng.choice(sorted(files))
        lines, first = _window(rng, files[path])
        items.append(_split("heldout_lines", ex.line_recall(rng, lines, path, first, queries=1)))
    return items


def held_out_path_items(n: int, seed: int = 0) -> list[ProbeItem]:
    """`grep -rnw NAME .` over the held-out repository (its package and tests), then the path of
    the file defining NAME: the look-up an agent does before viewing a file."""
    files = held_out_files(with_init=True)  # its re-exports are mentions to skip over
    defs = [d for d in ex.grep_defs(files) if not d[0].startswith("tests/")]
    unique = [d for d in defs if sum(1 for e in defs if e[3] == d[3]) == 1]
    items = []
    for i in range(n):
        path, _, _, name = random.Random(f"probe-path:{seed}:{i}").choice(unique)
        prompt = f"$ grep -rnw '{name}' .\n" + ex.grep_name(files, name) + f"The file that defines `{name}` is:\n"
        items.append(ProbeItem("heldout_paths", prompt, f"{ex.WORKDIR}/{path}\n"))
    return items


def held_out_edit_items(n: int, seed: int = 0) -> list[ProbeItem]:
    """The reply's free-text thought is moved into the prompt: only the call is scored from its
    old_str on (the path and the edit are named by the instruction)."""
    files = held_out_files()
    items: list[ProbeItem] = []
    i = 0
    while len(items) < n:
        rng = random.Random(f"probe-edit:{seed}:{i}")
        i += 1
        path = rng.choice(sorted(files))
        lines, first = _window(rng, files[path], size=30)
        doc = ex.str_replace_call(rng, lines, path, first)
        if doc is None:
            continue
        item = _split("heldout_edits", doc)
        cut = item.answer.index("<parameter=old_str>\n") + len("<parameter=old_str>\n")
        items.append(ProbeItem(item.kind, item.prompt + item.answer[:cut], item.answer[cut:]))
    return items


def held_out_prefix_items(n: int, seed: int = 0) -> list[ProbeItem]:
    """The student's need: after a view of a held-out file, a str_replace call whose old_str starts
    with a line's first 1-3 words; scored: the rest of the line and the parameter's end."""
    files = held_out_files()
    items: list[ProbeItem] = []
    i = 0
    while len(items) < n:
        rng = random.Random(f"probe-prefix:{seed}:{i}")
        i += 1
        path = rng.choice(sorted(files))
        lines, first = _window(rng, files[path], size=30)
        targets = ex.prefix_targets(rng, lines, 1)
        if not targets:
            continue
        k, prefix = targets[0]
        view = ex.chat("probe", [("system", ex.SHORT_SYSTEM),
                                 ("user", observation_message(ex.cat_n(lines, f"{ex.WORKDIR}/{path}", first)))])
        head = (f"{ex.IM_START}assistant\nFix the line.\n\n<function=str_replace_editor>\n<parameter=command>"
                f"str_replace</parameter>\n<parameter=path>{ex.WORKDIR}/{path}</parameter>\n<parameter=old_str>\n")
        items.append(ProbeItem("heldout_prefix_lines", view.text + head + prefix,
                               lines[k][len(prefix):] + "\n</parameter>\n"))  # ">\n" is one token
    return items


def unseen_function_repair_items(n: int, seed: int = 0) -> list[ProbeItem]:
    """`repair_call` on the functions the verified tasks mutate (never practised in pretraining):
    the view shows one changed line; the answer is the `str_replace` that restores it. Scores the
    last step a BC student has to take, on code the model knows but was never asked to fix."""
    rng = random.Random(f"probe:repair:{seed}")
    items: list[ProbeItem] = []
    while len(items) < n:
        doc = corpus.repair_doc(rng, "verified")
        if doc is not None:
            last = max(i for i, (_, loss) in enumerate(doc.segments) if loss)
            reply = doc.segments[last][0]
            cut = reply.index("<parameter=old_str>")  # score the edit, not the free-text thought
            items.append(ProbeItem("repair_unseen_functions",
                                   "".join(t for t, _ in doc.segments[:last]) + reply[:cut], reply[cut:]))
    return items


def issue_test_id_items(tasks: list[Task], n: int) -> list[ProbeItem]:
    """The task's own issue text, then a pytest command naming its failing tests (what the expert
    does after reading the issue); the command after `pytest -q ` is scored."""
    head = "Run the failing tests.\n\n<function=bash>\n<parameter=command>python -m pytest -q "
    return [ProbeItem("issue_test_ids", _issue_prompt(task, head),
                      " ".join(task.FAIL_TO_PASS) + "</parameter>\n</function>" + ex.IM_END) for task in tasks[:n]]


def _issue_prompt(task: Task, reply_head: str) -> str:
    """The task's issue as the user turn, then the start of the assistant's reply."""
    turns = [("system", ex.SHORT_SYSTEM), ("user", task.problem_statement.strip())]
    return "".join(t for t, _ in ex.chat("probe", turns).segments) + f"{ex.IM_START}assistant\n" + reply_head


def issue_search_items(tasks: list[Task], n: int) -> list[ProbeItem]:
    """The task's own issue, then the expert's first search: `grep -rn 'def NAME(' ...` for the
    function under test (from the task's metadata); the name on is scored. Grounding: the name is
    in the issue, and nowhere in the model's training data for a verified-only repository."""
    head = ("Search the source for the function named in the issue.\n\n<function=bash>\n"
            "<parameter=command>grep -rn 'def")
    return [ProbeItem("issue_search", _issue_prompt(task, head),
                      f" {task.meta['function'].split('.')[-1]}(' --include=*.py .</parameter>\n</function>"
                      + ex.IM_END)
            for task in [t for t in tasks if t.meta.get("function")][:n]]


def _encode(tokenizer, text: str) -> list[int]:
    return tokenizer.backend_tokenizer.encode(text, add_special_tokens=False).ids


@dataclass(frozen=True)
class ItemScore:
    exact: bool
    correct_tokens: int
    answer_tokens: int
    first_error: int | None  # answer token index of the first wrong prediction (None: exact)


@torch.no_grad()
def teacher_forced_scores(model, tokenizer, items: list[ProbeItem], batch_size: int = 8,
                          max_len: int = 4096) -> list[ItemScore]:
    results = []
    pad = tokenizer.pad_token_id
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        encoded = [(_encode(tokenizer, it.prompt), _encode(tokenizer, it.answer)) for it in batch]
        encoded = [(p[-(max_len - len(a)):], a) for p, a in encoded]  # keep the answer, clip the front
        width = max(len(p) + len(a) for p, a in encoded)
        ids = torch.full((len(batch), width), pad)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (p, a) in enumerate(encoded):
            ids[row, :len(p) + len(a)] = torch.tensor(p + a)
            mask[row, :len(p) + len(a)] = 1
        predictions = model(input_ids=ids, attention_mask=mask).logits.argmax(-1)
        for row, (p, a) in enumerate(encoded):
            hits = [x == y for x, y in zip(predictions[row, len(p) - 1:len(p) + len(a) - 1].tolist(), a)]
            first = None if all(hits) else hits.index(False)
            results.append(ItemScore(first is None, sum(hits), len(a), first))
    return results


def teacher_forced_exact(model, tokenizer, items: list[ProbeItem], batch_size: int = 8,
                         max_len: int = 4096) -> list[bool]:
    return [s.exact for s in teacher_forced_scores(model, tokenizer, items, batch_size, max_len)]


def summarize(scores: list[ItemScore]) -> dict[str, float]:
    """Exact share, per-token accuracy, and the share wrong from the answer's first token on:
    a first-token miss means the model chose the wrong line, file or name (selection); a later
    one, that it lost its place while copying (mechanics). They call for different training."""
    n = max(len(scores), 1)
    return {"exact": sum(s.exact for s in scores) / n,
            "token_accuracy": sum(s.correct_tokens for s in scores) / max(sum(s.answer_tokens for s in scores), 1),
            "wrong_at_start": sum(s.first_error == 0 for s in scores) / n}


@torch.no_grad()
def greedy_check(model, tokenizer, items: list[ProbeItem]) -> tuple[list[bool], float]:
    """Real greedy generation: (does the text start with the answer, tokens per second)."""
    results, tokens, seconds = [], 0, 0.0
    for item in items:
        prompt = torch.tensor([_encode(tokenizer, item.prompt)])
        budget = len(_encode(tokenizer, item.answer)) + 2
        started = time.monotonic()
        output = model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=budget,
                                do_sample=False, pad_token_id=tokenizer.pad_token_id)
        seconds += time.monotonic() - started
        new = output[0, prompt.shape[1]:].tolist()
        tokens += len(new)
        text = tokenizer.decode(new, skip_special_tokens=False)
        results.append(text.startswith(item.answer))
    return results, tokens / max(seconds, 1e-9)


def greedy_speed(model, tokenizer, context_tokens: int = 1500, new_tokens: int = 200) -> float:
    """Greedy tokens/s at batch 1 after a context of agent-like length (EOS ignored)."""
    item = held_out_line_items(1)[0]
    ids = (_encode(tokenizer, item.prompt) * 20)[:context_tokens]
    prompt = torch.tensor([ids])
    with torch.no_grad():
        model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=4, do_sample=False,
                       pad_token_id=tokenizer.pad_token_id)
        started = time.monotonic()
        model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=new_tokens,
                       min_new_tokens=new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    return new_tokens / (time.monotonic() - started)


def suggested_fix_items(tasks: list[Task], n: int) -> list[ProbeItem]:
    """Tasks whose issue suggests a fix: the issue, the expert's `git status`, then its
    `str_replace`, scored from the path on (path, faulty code and fix, all copied from the issue)."""
    status = ("First, check the state of the working tree.\n\n<function=bash>\n"
              "<parameter=command>git status --short --untracked-files=all</parameter>\n</function>")
    head = ("The issue shows the faulty code and its fix; apply it.\n\n<function=str_replace_editor>\n"
            "<parameter=command>str_replace</parameter>\n<parameter=path>/")  # ">/" is one token
    items = []
    for task in [t for t in tasks if t.meta.get("suggested_fix")][:n]:
        fix = task.meta["suggested_fix"]
        turns = [("system", ex.SHORT_SYSTEM), ("user", task.problem_statement.strip()), ("assistant", status),
                 ("user", observation_message(""))]
        prompt = "".join(t for t, _ in ex.chat("probe", turns).segments) + f"{ex.IM_START}assistant\n" + head
        answer = (f"{ex.WORKDIR[1:]}/{fix['path']}</parameter>\n<parameter=old_str>\n{fix['old']}\n</parameter>\n"
                  f"<parameter=new_str>\n{fix['new']}\n</parameter>\n</function>{ex.IM_END}")
        items.append(ProbeItem("suggested_fix", prompt, answer))
    return items


def probe_sets(n: int = 100, seed: int = 0, tasks: list[Task] | None = None,
               n_tasks: int = 50) -> dict[str, list[ProbeItem]]:
    sets = {
        "random_spans": random_span_items(n, seed),
        "heldout_lines": held_out_line_items(n, seed),
        "heldout_paths": held_out_path_items(n, seed),
        "heldout_edits": held_out_edit_items(n, seed),
        "heldout_prefix_lines": held_out_prefix_items(n, seed),
        "repair_unseen_functions": unseen_function_repair_items(n, seed),
    }
    if tasks:
        sets["issue_test_ids"] = issue_test_id_items(tasks, n_tasks)
        sets["issue_search"] = issue_search_items(tasks, n_tasks)
        sets["suggested_fix"] = suggested_fix_items(tasks, n_tasks)
    return sets


def copy_probe_details(model, tokenizer, n: int = 100, seed: int = 0, tasks: list[Task] | None = None,
                       n_tasks: int = 50) -> dict[str, dict[str, float]]:
    """Per probe kind: `summarize` of its teacher-forced scores."""
    # The zero-shot resolve rate (the model as an agent) is `oec tiny-base probe --zero-shot N`.
    return {kind: summarize(teacher_forced_scores(model, tokenizer, items))
            for kind, items in probe_sets(n, seed, tasks, n_tasks).items()}


def copy_probe(model, tokenizer, n: int = 100, seed: int = 0, tasks: list[Task] | None = None,
               n_tasks: int = 50) -> dict[str, float]:
    """Teacher-forced exact-copy accuracy per probe kind."""
    return {kind: detail["exact"] for kind, detail in copy_probe_details(model, tokenizer, n, seed, tasks,
                                                                          n_tasks).items()}

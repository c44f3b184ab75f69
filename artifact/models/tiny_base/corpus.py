"""tiny-base's pretraining data: the train repositories' code plus copy-and-edit exercises, mixed
per phase, tokenized and packed into fixed-length rows.

Every batch is a pure function of (seed, phase, step): training can resume at any step without
saving data state, and the same seed always gives the same data in the same order.

Never used here: the suite's task files (gold patches, issues) and the held-out repository
(statskit), which `sources.train_sources` already excludes.
"""

from __future__ import annotations

import ast
import functools
import random
from collections.abc import Callable, Iterator

import torch

from artifact.agent.prompts import INSTANCE_TEMPLATE, system_message
from artifact.models.tiny_base import agent_steps as steps
from artifact.models.tiny_base import exercises as ex
from artifact.models.tiny_base.sources import (
    WORKDIR,
    SourceFile,
    random_identifier,
    random_line,
    random_path,
    rename,
    train_repo_names,
    train_sources,
)
from artifact.tasks.mutation_sites import function_scopes, is_docstring
from artifact.tasks.tiny_suite.build import split_of

IGNORE = -100

# Phase mixes (kind -> weight). env-notes: copying only appears when a model is first warmed up on
# pure copying of random material; mixing code in from the start never produced it. So: short
# random copying until copying appears (`warmup`), then copying from long views of real code in
# every exercise format (`copy_long`), then the same with code and tool-format conversations (`mix`).
WARMUP = {"span_copy": 0.65, "line_recall_random": 0.35}
COPY_LONG = {
    "span_copy_long": 0.1, "ambiguous_span_copy": 0.15, "line_recall_random": 0.08, "line_recall": 0.25,
    "line_edit": 0.1, "definition_lookup": 0.12, "str_replace_call": 0.2,
}
MIX = {
    "span_copy_long": 0.04, "ambiguous_span_copy": 0.04, "line_recall_random": 0.03, "line_recall": 0.17,
    "definition_lookup": 0.08, "line_edit": 0.06, "str_replace_call": 0.18, "definition_view_call": 0.06,
    "listing_view_call": 0.05, "pytest_call": 0.05, "code": 0.24,
}
# Measured alternative (not the default, it did not give a better model in 45 minutes): the warm-up
# {"span_copy_short": .35, "span_copy": .15, "prefix_recall_random": .3, "line_recall_random": .2}
# in 8 x 256 rows at lr 3e-3 broke out of the plateau at ~2.0M tokens instead of ~3.6M (twice);
# but then 850 copy_long steps (+ prefix_recall .16) left held-out lines and paths at 0% and random
# spans at ~10%: copying random spans does not carry over to 30-40-line views of real code.
# The last phase (`lines`, appended to v0's recipe) trains what a student needs most, on real
# code: continue a viewed line from its first words (plain and inside a str_replace call), the
# line's one-token edit, and the look-ups. Its builders (`*_mixed`) draw 40% of their views from
# shuffled code no memory predicts and name lines by their first words. Measured, continuing v0's
# weights for ~600 steps with a fresh optimizer (60 items per kind): held-out prefix continuation
# 3% -> 20%, paths 0% -> 38%, lines 1% -> 8%; in the build itself (v2, 200 items): 14%, 0%, 2.5%.
# Ambiguous spans alone: 0%. The same exercises in a from-scratch recipe (warm-up, 600 copy_long,
# 300 mix, 1000 lines steps) copied worse than v0 and were not adopted.
LINES = {
    "prefix_recall_mixed": 0.25, "str_replace_line_call_mixed": 0.2, "ambiguous_span_copy": 0.12,
    "span_copy": 0.06, "line_recall_mixed": 0.1, "definition_lookup": 0.1, "line_edit_mixed": 0.05,
    "str_replace_call_mixed": 0.04, "listing_view_call": 0.03, "pytest_call": 0.02, "code": 0.03,
}
# The last phase grounds the agent's first steps in the issue: take the function's name from the
# issue into the expert's grep (measured: v2 wrote memorised names, 0% on verified issues), and
# copy the grep hit's path and line into the view. Continuing v2 with 60% of `issue_search_call`
# jumped from 0.7% to 40% (verified issues) between steps 200 and 400; a 30% share stayed at 0%.
GROUND = {"issue_search_call": 0.6, "grep_view_call": 0.1} | {k: 0.3 * v for k, v in LINES.items()}
# Then the fix a reporter suggests: copy path, faulty code and fix from the issue into the
# str_replace (half the tiny suite's issues carry one, tasks/tiny_suite/build.py).
SUGGEST = {"suggested_fix_call": 0.5, "issue_search_call": 0.15, "grep_view_call": 0.05} | {
    k: 0.3 * v for k, v in LINES.items()}
PHASES = {"warmup": WARMUP, "copy_long": COPY_LONG, "mix": MIX, "lines": LINES, "ground": GROUND,
          "suggest": SUGGEST}
# Measured, not adopted: a `repair` phase after `ground` (300 and 600 steps, lr 1e-3) of
# {"repair_call": .5, "issue_search_call": .2, "grep_view_call": .1} + 20% of LINES. The probe
# `repair_unseen_functions` stayed at 0% exact (88-89% per token): in 93-96 of 100 items the first
# error is in old_str, at the changed token, where the model writes the line as it remembers it
# instead of copying the view. Recall beats copying exactly where a fix needs copying.
SHUFFLED_VIEWS = 0.4  # share of the `lines` phase's views made of shuffled, perturbed real lines


# ----------------------------------------------------------------------------- material pickers

def _file(rng: random.Random) -> SourceFile:
    return rng.choice([f for f in train_sources() if f.path.endswith(".py") and f.text.count("\n") > 3])


def _renamed_lines(rng: random.Random, source: SourceFile, p_rename: float = 0.7) -> list[str]:
    text = rename(source.text, rng) if rng.random() < p_rename else source.text
    return text.splitlines()


def _chunk(rng: random.Random, lines: list[str], max_lines: int = 40) -> tuple[list[str], int]:
    """A window of at most `max_lines` lines and its first line number (1-based)."""
    if len(lines) <= max_lines:
        return lines, 1
    start = rng.randint(0, len(lines) - max_lines)
    return lines[start:start + max_lines], start + 1


def _shuffled_lines(rng: random.Random) -> list[str]:
    """8-40 lines of real code that no memory can predict: runs of 1-5 lines from random train
    files in a random order, half the lines with one token changed (identifiers are renamed only
    when the joined runs still tokenize as Python, which is rare: `rename` skips text it cannot
    tokenize). Views of intact (even renamed) train files let a model recall the next line
    instead of copying it, which is useless on a repository it never saw."""
    files = [f for f in train_sources() if f.path.endswith(".py") and f.text.count("\n") > 3]
    lines: list[str] = []
    size = rng.randint(8, 40)
    while len(lines) < size:
        source = rng.choice(files).text.splitlines()
        start = rng.randrange(len(source))
        lines += source[start:start + rng.randint(1, 5)]
    out = []
    for line in rename("\n".join(lines[:size]), rng, share=1.0).splitlines():
        edit = ex.one_token_edit(rng, line) if rng.random() < 0.5 else None
        out.append(edit[0] if edit else line)
    return out


def _view_material(rng: random.Random) -> tuple[list[str], str, int]:
    """(lines, repo-relative path, first line number) for a file view: a train file, usually with
    renamed identifiers and sometimes a random path, or a file of random lines."""
    if rng.random() < 0.25:
        return ex.random_file(rng), random_path(rng), 1
    source = _file(rng)
    lines, first = _chunk(rng, _renamed_lines(rng, source))
    path = source.path if rng.random() < 0.5 else random_path(rng)
    return lines, path, first


def _mixed_view_material(rng: random.Random) -> tuple[list[str], str, int]:
    """The `lines` phase's views: shuffled unpredictable code (`SHUFFLED_VIEWS` of them) or
    `_view_material`'s. Only new builders use it, so the earlier phases' data stays as it was."""
    if rng.random() < SHUFFLED_VIEWS:
        return _shuffled_lines(rng), random_path(rng), rng.randint(1, 200)
    return _view_material(rng)


@functools.cache
def function_sites(split: str) -> tuple[tuple[SourceFile, str, int, tuple[int, ...]], ...]:
    """(file, qualified name, def line, body statement lines) of every function in the train
    repositories' package code whose task split (the suite's own deterministic rule) is `split`.
    Repair exercises use the "train" functions; the "verified" ones (functions the verified tasks
    mutate) are left to the probe, so a repair there is never practised, only generalised to."""
    sites = []
    for source in train_sources():
        if not source.path.endswith(".py") or source.path.startswith("tests/") or "/" not in source.path:
            continue
        for scope in function_scopes(ast.parse(source.text)):
            if split_of(source.repo, scope.name, 0) != split:
                continue
            body = scope.func.body[1:] if is_docstring(scope.func.body[0]) else scope.func.body
            lines = sorted({node.lineno for stmt in body for node in ast.walk(stmt) if isinstance(node, ast.stmt)})
            if lines:
                sites.append((source, scope.name, scope.func.lineno, tuple(lines)))
    return tuple(sites)


def repair_doc(rng: random.Random, split: str = "train") -> ex.Doc | None:
    source, name, def_line, body = rng.choice(function_sites(split))
    return steps.repair_call(rng, source.text.splitlines(), source.path, name.split(".")[-1], def_line, list(body))


def _random_repo(rng: random.Random) -> dict[str, list[str]]:
    package = random_identifier(rng)
    files = {}
    for _ in range(rng.randint(2, 6)):
        lines = []
        for _ in range(rng.randint(1, 5)):
            if rng.random() < 0.2:
                lines.append(f"class {random_identifier(rng, capitalized=True)}:")
            else:
                args = ", ".join(random_identifier(rng) for _ in range(rng.randint(0, 3)))
                lines.append(f"def {random_identifier(rng)}({args}):")
            lines.extend(random_line(rng) for _ in range(rng.randint(1, 4)))
        files[random_path(rng, package)] = lines
    return files


def _repo_material(rng: random.Random) -> dict[str, list[str]]:
    """path -> lines for several files of one repository: a train repository (renamed file by
    file, paths kept) or a random one."""
    if rng.random() < 0.4:
        return _random_repo(rng)
    repo = rng.choice(train_repo_names())
    files = [f for f in train_sources() if f.repo == repo and f.path.endswith(".py")]
    chosen = sorted(rng.sample(files, min(len(files), rng.randint(2, 4))), key=lambda f: f.path)
    return {f.path: _renamed_lines(rng, f) for f in chosen}


def _test_ids(rng: random.Random) -> list[str]:
    files = _repo_material(rng)
    ids = [f"{path}::{name}" for path, _, _, name in ex.grep_defs(files) if name.startswith("test")]
    if len(ids) < 3:
        ids = [f"tests/test_{random_identifier(rng)}.py::test_{random_identifier(rng)}" for _ in range(5)]
    return ids


def _code(rng: random.Random) -> ex.Doc:
    """A train file (identifiers renamed half the time), raw or as the editor shows it; full loss."""
    source = _file(rng) if rng.random() < 0.9 else rng.choice(train_sources())
    lines, first = _chunk(rng, _renamed_lines(rng, source, p_rename=0.5), max_lines=60)
    if rng.random() < 0.5:
        text = f"# {source.path}\n" + "\n".join(lines) + "\n"
    else:
        text = ex.cat_n(lines, f"{WORKDIR}/{source.path}", first)
    return ex.Doc("code").add(text, loss=True)


BUILDERS: dict[str, Callable[[random.Random], ex.Doc | None]] = {
    "span_copy": ex.span_copy,
    "span_copy_short": lambda r: ex.span_copy(r, n_max=20),
    "span_copy_long": lambda r: ex.span_copy(r, n_max=150),
    "ambiguous_span_copy": ex.ambiguous_span_copy,
    "line_recall_random": lambda r: ex.line_recall(r, ex.random_file(r, 5, 25), random_path(r), queries=r.randint(2, 8)),
    "line_recall": lambda r: ex.line_recall(r, *_view_material(r), queries=r.randint(1, 5)),
    "prefix_recall_random": lambda r: ex.prefix_recall(r, ex.random_file(r, 5, 25), random_path(r), queries=r.randint(2, 8)),
    "prefix_recall": lambda r: ex.prefix_recall(r, *_view_material(r), queries=r.randint(1, 5)),
    "definition_lookup": lambda r: ex.definition_lookup(r, _repo_material(r)),
    "line_edit": lambda r: ex.line_edit(r, *_view_material(r)),
    "str_replace_call": lambda r: ex.str_replace_call(r, *_view_material(r)),
    "str_replace_line_call": lambda r: ex.str_replace_call(r, *_view_material(r), single_line=True),
    "prefix_recall_mixed": lambda r: ex.prefix_recall(r, *_mixed_view_material(r), queries=r.randint(1, 5)),
    "line_recall_mixed": lambda r: ex.line_recall(r, *_mixed_view_material(r), queries=r.randint(1, 5)),
    "line_edit_mixed": lambda r: ex.line_edit(r, *_mixed_view_material(r)),
    "str_replace_call_mixed": lambda r: ex.str_replace_call(r, *_mixed_view_material(r), by_prefix=True),
    "str_replace_line_call_mixed": lambda r: ex.str_replace_call(r, *_mixed_view_material(r), single_line=True,
                                                                 by_prefix=True),
    "definition_view_call": lambda r: ex.definition_view_call(r, _repo_material(r)),
    "listing_view_call": lambda r: ex.listing_view_call(r, list(_repo_material(r))),
    "pytest_call": lambda r: ex.pytest_call(r, _test_ids(r)),
    "issue_search_call": steps.issue_search_call,
    "grep_view_call": lambda r: steps.grep_view_call(r, _repo_material(r)),
    "repair_call": repair_doc,
    "suggested_fix_call": lambda r: steps.suggested_fix_call(r, *_mixed_view_material(r)[:2]),
    "code": _code,
}


def documents(phase: str, seed: int, step: int) -> Iterator[ex.Doc]:
    """The endless, seeded stream of documents behind one training step."""
    rng = random.Random(f"tiny-base:{seed}:{phase}:{step}")
    kinds, weights = zip(*PHASES[phase].items())
    while True:
        doc = BUILDERS[rng.choices(kinds, weights)[0]](rng)
        if doc is not None:
            yield doc


def tokenizer_texts(seed: int = 0, n_docs: int = 3000) -> list[str]:
    """What the BPE is trained on: the train code, the agent's prompt scaffolding, and a sample of
    exercises (so paths, `cat -n` views and tool calls get compact tokens)."""
    texts = [f.text for f in train_sources()]
    texts += [system_message("/testbed"), INSTANCE_TEMPLATE]
    stream = documents("mix", seed, step=-1)
    texts += [next(stream).text for _ in range(n_docs)]
    return texts


# --------------------------------------------------------------------------- tokenize and pack

def encode(tokenizer, doc: ex.Doc) -> tuple[list[int], list[int]]:
    """Token ids and labels of a document, each segment tokenized on its own (exactly as an
    inference prompt ending at that boundary would be)."""
    encodings = tokenizer.backend_tokenizer.encode_batch([t for t, _ in doc.segments], add_special_tokens=False)
    ids: list[int] = []
    labels: list[int] = []
    for (_, loss), encoding in zip(doc.segments, encodings):
        ids += encoding.ids
        labels += encoding.ids if loss else [IGNORE] * len(encoding.ids)
    return ids, labels


def batch_at(tokenizer, phase: str, seed: int, step: int, batch_size: int, seq_len: int,
             lookahead: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of whole documents separated by <|endoftext|>. A document is never split (an answer
    always sees its context); rows are filled first-fit from a small look-ahead buffer of documents,
    and what is left at the end of a row is padding without loss."""
    eot = tokenizer.convert_tokens_to_ids(ex.ENDOFTEXT)
    stream = documents(phase, seed, step)
    buffer: list[tuple[list[int], list[int]]] = []
    rows_ids, rows_labels = [], []
    while len(rows_ids) < batch_size:
        ids: list[int] = []
        labels: list[int] = []
        while True:
            while len(buffer) < lookahead:
                doc_ids, doc_labels = encode(tokenizer, next(stream))
                if len(doc_ids) + 1 <= seq_len:  # longer documents fit no row: skip them
                    buffer.append((doc_ids, doc_labels))
            fitting = next((i for i, (d, _) in enumerate(buffer) if len(ids) + len(d) + 1 <= seq_len), None)
            if fitting is None:
                break
            doc_ids, doc_labels = buffer.pop(fitting)
            ids += doc_ids + [eot]
            labels += doc_labels + [IGNORE]
        pad = seq_len - len(ids)
        rows_ids.append(ids + [eot] * pad)
        rows_labels.append(labels + [IGNORE] * pad)
    return torch.tensor(rows_ids), torch.tensor(rows_labels)

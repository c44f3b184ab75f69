"""Procedural copy-and-edit exercises for tiny-base's pretraining.

Each builder returns a `Doc`: text segments with a loss flag. Context segments (a listing, a file
view, random text) carry no loss: random context is unpredictable by construction, so training on it
only adds noise. The answers carry loss: they can only be produced by copying from the context.

The exercises mirror what an agent must do with its observations: repeat a line of a `cat -n` view,
give the path of the file that defines a name, turn a listed path into a `view` call, copy a test id
into a pytest command, and write a `str_replace` call whose old_str copies lines of the view and
whose new_str changes one token. Each exists in plain text and, where natural, in the ChatML /
XML tool-call format the agent uses (rendered with the agent's own `format_call`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from artifact.agent.actions import format_call
from artifact.agent.prompts import observation_message
from artifact.models.tiny_base.sources import (
    WORKDIR,
    random_identifier,
    random_line,
    random_piece,
    random_word,
)

ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SHORT_SYSTEM = "You are a helpful assistant that can interact with a computer to solve tasks."


@dataclass
class Doc:
    kind: str
    segments: list[tuple[str, bool]] = field(default_factory=list)  # (text, has_loss)

    def add(self, text: str, loss: bool = False) -> Doc:
        self.segments.append((text, loss))
        return self

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.segments)


def chat(kind: str, turns: list[tuple[str, str]]) -> Doc:
    """A ChatML conversation; only assistant contents (and their <|im_end|>) carry loss. Segments
    split exactly where an inference prompt from `add_generation_prompt` would end."""
    doc = Doc(kind)
    for role, content in turns:
        doc.add(f"{IM_START}{role}\n")
        doc.add(content + IM_END, loss=(role == "assistant"))
        doc.add("\n")
    return doc


def cat_n(lines: list[str], descriptor: str, first: int = 1) -> str:
    """Byte-for-byte the editor's `view` output (artifact/tools/bin/str_replace_editor)."""
    body = "\n".join(f"{n:6}\t{line}" for n, line in enumerate(lines, start=first))
    return f"Here's the result of running `cat -n` on {descriptor}:\n{body}\n"


def thought(rng: random.Random, options: tuple[str, ...]) -> str:
    return rng.choice(options) if rng.random() < 0.8 else ""


# ------------------------------------------------------------------------ pure copying (warm-up)

def random_span(rng: random.Random, n_min: int = 4, n_max: int = 60) -> str:
    pieces = []
    for _ in range(rng.randint(n_min, n_max)):
        pieces.append(random_piece(rng))
        if rng.random() < 0.08:
            pieces.append("\n" + "    " * rng.randint(0, 2))
    return " ".join(pieces).replace(" \n", "\n").replace("\n ", "\n").strip()


def span_copy(rng: random.Random, n_max: int = 60) -> Doc:
    span = random_span(rng, n_max=n_max)
    return Doc("span_copy").add(f"Text:\n{span}\nRepeat the text exactly:\n").add(span + "\n", loss=True)


def ambiguous_span_copy(rng: random.Random) -> Doc:
    """A span over a tiny alphabet (3-12 pieces, digits and punctuation included), so every token
    repeats: following the previous token alone cannot copy it; the model has to match longer
    prefixes or keep its place. Real code is like this (`self`, `(`, `, `, ` 0`)."""
    alphabet = [random_piece(rng) if rng.random() < 0.6 else rng.choice("0123456789.,()[]_")
                for _ in range(rng.randint(3, 12))]
    pieces = []
    for _ in range(rng.randint(8, 50)):
        pieces.append(rng.choice(alphabet))
        if rng.random() < 0.06:
            pieces.append("\n")
    joiner = rng.choice((" ", " ", ", ", ""))
    span = joiner.join(pieces).replace(f"{joiner}\n{joiner}", "\n").strip() or "0"
    return Doc("ambiguous_span_copy").add(f"Text:\n{span}\nRepeat the text exactly:\n").add(span + "\n", loss=True)


def random_file(rng: random.Random, n_min: int = 5, n_max: int = 40) -> list[str]:
    return [random_line(rng) if rng.random() > 0.1 else "" for _ in range(rng.randint(n_min, n_max))]


# -------------------------------------------------------------------------- line and path recall

def _recall_targets(lines: list[str], rng: random.Random, k: int) -> list[int]:
    candidates = [i for i, line in enumerate(lines) if line.strip()]
    return rng.sample(candidates, min(k, len(candidates)))


def line_recall(rng: random.Random, lines: list[str], path: str, first: int = 1, queries: int = 3) -> Doc:
    doc = Doc("line_recall").add(cat_n(lines, f"{WORKDIR}/{path}", first))
    for i in _recall_targets(lines, rng, queries):
        doc.add(f"Line {first + i} is:\n").add(lines[i] + "\n", loss=True)
    return doc


_WORD_START = re.compile(r"(?<=\S) (?=\S)")  # a lone space before a word or symbol starts a pre-token


def line_prefix(line: str, words: int) -> str:
    """The line's indentation and first `words` words, cut where the tokenizer's pre-tokens split
    (so the prefix tokenizes exactly as the start of the whole line)."""
    cuts = [m.start() for m in _WORD_START.finditer(line)]
    return line[:cuts[words - 1]] if len(cuts) >= words else line


def prefix_targets(rng: random.Random, lines: list[str], k: int) -> list[tuple[int, str]]:
    """Up to k lines, each with the shortest prefix (>= 1-3 words) that starts no other line."""
    found = []
    for i in _recall_targets(lines, rng, len(lines)):
        for words in range(rng.randint(1, 3), len(_WORD_START.findall(lines[i])) + 1):
            prefix = line_prefix(lines[i], words)
            if sum(1 for line in lines if line.startswith(prefix)) == 1:
                found.append((i, prefix))
                break
        if len(found) == k:
            break
    return found


def prefix_recall(rng: random.Random, lines: list[str], path: str, first: int = 1, queries: int = 3) -> Doc | None:
    """Plain text: after a view, a line's first words -> the rest of that line (how an agent picks
    the line its old_str copies: by its start, then copying on)."""
    doc = Doc("prefix_recall").add(cat_n(lines, f"{WORKDIR}/{path}", first))
    for i, prefix in prefix_targets(rng, lines, queries):
        doc.add(f"Complete the line:\n{prefix}").add(lines[i][len(prefix):] + "\n", loss=True)
    return doc if len(doc.segments) > 1 else None


def grep_defs(files: dict[str, list[str]]) -> list[tuple[str, int, str, str]]:
    """(path, line number, line, defined name) for each def/class, like `grep -rn`."""
    found = []
    for path, lines in files.items():
        for number, line in enumerate(lines, start=1):
            match = re.match(r"\s*(?:def|class)\s+(\w+)", line)
            if match:
                found.append((path, number, line, match.group(1)))
    return found


def grep_output(defs: list[tuple[str, int, str, str]]) -> str:
    return "\n".join(f"./{path}:{number}:{line}" for path, number, line, _ in defs) + "\n"


def grep_name(files: dict[str, list[str]], name: str) -> str:
    """`grep -rnw NAME .`: every line that mentions the name, with its path and number."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    hits = [f"./{path}:{n}:{line}" for path, lines in files.items()
            for n, line in enumerate(lines, start=1) if word.search(line)]
    return "\n".join(hits) + "\n"


def definition_lookup(rng: random.Random, files: dict[str, list[str]], queries: int = 3) -> Doc | None:
    """Plain text: after a grep (of all definitions, or of one name's mentions), 'The file that
    defines `name` is:' -> its absolute path, copied from the grep line of the definition."""
    defs = grep_defs(files)
    unique = [d for d in defs if sum(1 for e in defs if e[3] == d[3]) == 1]
    if not unique:
        return None
    if rng.random() < 0.5:
        doc = Doc("definition_lookup").add("$ grep -rn -E '(def|class) ' --include='*.py' .\n" + grep_output(defs))
        for path, _, _, name in rng.sample(unique, min(queries, len(unique))):
            doc.add(f"The file that defines `{name}` is:\n").add(f"{WORKDIR}/{path}\n", loss=True)
        return doc
    path, _, _, name = rng.choice(unique)
    return (Doc("definition_lookup").add(f"$ grep -rnw '{name}' .\n" + grep_name(files, name))
            .add(f"The file that defines `{name}` is:\n").add(f"{WORKDIR}/{path}\n", loss=True))


def definition_view_call(rng: random.Random, files: dict[str, list[str]]) -> Doc | None:
    """Tool format: grep observation, then a `view` call on the file defining a name."""
    defs = grep_defs(files)
    unique = [d for d in defs if sum(1 for e in defs if e[3] == d[3]) == 1]
    if not unique:
        return None
    path, _, _, name = rng.choice(unique)
    reply = format_call("str_replace_editor", thought(rng, (
        f"`{name}` is defined in {path}; read it.", "Open the file that defines it.",
        "Read the code around the suspicious logic.")), command="view", path=f"{WORKDIR}/{path}")
    return chat("definition_view_call", [
        ("system", SHORT_SYSTEM),
        ("user", f"Find the code of `{name}` and show it."),
        ("assistant", format_call("bash", "Search for definitions.",
                                  command="grep -rn -E '(def|class) ' --include='*.py' .")),
        ("user", observation_message(grep_output(defs))),
        ("assistant", reply),
    ])


def listing_view_call(rng: random.Random, paths: list[str]) -> Doc:
    """Tool format: a `find` listing, then a `view` call whose path copies a listed one."""
    listing = "\n".join(f"./{p}" for p in sorted(paths)) + "\n"
    target = rng.choice(paths)
    ask = rng.choice((f"Show me `{target.rsplit('/', 1)[-1]}`.", f"Open {target}.",
                      f"Read the module `{target[:-3].replace('/', '.')}`."))
    reply = format_call("str_replace_editor", thought(rng, ("Read the file.", "Open it to read the code.")),
                        command="view", path=f"{WORKDIR}/{target}")
    return chat("listing_view_call", [
        ("system", SHORT_SYSTEM),
        ("user", ask),
        ("assistant", format_call("bash", "List the Python files.",
                                  command="find . -name '*.py' -not -path './.git/*' | sort")),
        ("user", observation_message(listing)),
        ("assistant", reply),
    ])


def pytest_call(rng: random.Random, test_ids: list[str]) -> Doc:
    """Tool format: an issue naming failing tests, then a pytest command copying their ids."""
    chosen = rng.sample(test_ids, min(len(test_ids), rng.randint(1, 3)))
    issue = "\n".join(f"The test `{t}` fails on the current code." for t in chosen)
    reply = format_call("bash", thought(rng, ("Reproduce the failure.", "Run the failing tests.")),
                        command="python -m pytest -q " + " ".join(chosen))
    return chat("pytest_call", [("system", SHORT_SYSTEM), ("user", issue), ("assistant", reply)])


# ------------------------------------------------------------------------------ one-token edits

_SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "+": "-", "-": "+",
          "*": "//", "//": "*", "and": "or", "or": "and", "True": "False", "False": "True"}
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|<=|>=|==|!=|//|[<>+\-*]")


def one_token_edit(rng: random.Random, line: str) -> tuple[str, str, str] | None:
    """(edited line, old token, new token), changing one token of the line's code part."""
    code_end = len(line)
    for quote in ('"""', "#"):
        if quote in line:
            code_end = min(code_end, line.index(quote))
    spots = [m for m in _TOKEN.finditer(line, 0, code_end)
             if m.group() not in ("def", "class", "return", "if", "for", "in", "while", "not")]
    if not spots:
        return None
    spot = rng.choice(spots)
    old = spot.group()
    if old in _SWAPS:
        new = _SWAPS[old]
    elif old.isdigit():
        new = str(int(old) + rng.choice((-1, 1))) if old != "0" else "1"
    else:
        new = random_identifier(rng) if rng.random() < 0.5 else random_word(rng)
    if new == old:
        return None
    return line[:spot.start()] + new + line[spot.end():], old, new


def _edit_target(rng: random.Random, lines: list[str]) -> tuple[int, tuple[str, str, str]] | None:
    for i in rng.sample(range(len(lines)), len(lines)):
        if lines[i].strip() and lines.count(lines[i]) == 1:
            edit = one_token_edit(rng, lines[i])
            if edit:
                return i, edit
    return None


def line_edit(rng: random.Random, lines: list[str], path: str, first: int = 1) -> Doc | None:
    """Plain text: 'In line N, replace `a` with `b`:' -> the edited line."""
    target = _edit_target(rng, lines)
    if target is None:
        return None
    i, (edited, old, new) = target
    return (Doc("line_edit").add(cat_n(lines, f"{WORKDIR}/{path}", first))
            .add(f"In line {first + i}, replace `{old}` with `{new}`:\n").add(edited + "\n", loss=True))


def unique_prefix(lines: list[str], i: int, min_words: int = 1) -> str | None:
    """The shortest start of line i (>= min_words words, cut at pre-token bounds) no other line has."""
    for words in range(min_words, len(_WORD_START.findall(lines[i])) + 2):
        prefix = line_prefix(lines[i], words)
        if sum(1 for line in lines if line.startswith(prefix)) == 1:
            return prefix
        if prefix == lines[i]:
            return None
    return None


def str_replace_call(rng: random.Random, lines: list[str], path: str, first: int = 1,
                     single_line: bool = False, by_prefix: bool = False) -> Doc | None:
    """Tool format: a view observation, an instruction, then a str_replace call whose old_str
    copies 1-3 lines of the view (or exactly the edited line) and whose new_str changes one token,
    laid out as the scripted expert writes it (values on their own lines). The instruction
    names the line by its number or (`by_prefix`, most of the time) as a student must find it:
    by its first words."""
    target = _edit_target(rng, lines)
    if target is None:
        return None
    i, (edited, old, new) = target
    # single_line: the scripted expert's old_str is the buggy line only (widened only when needed).
    lo = i if single_line else max(0, i - rng.randint(0, 1))
    hi = i + 1 if single_line else min(len(lines), i + 1 + rng.randint(0, 1))
    old_block = "\n".join(lines[lo:hi])
    new_block = "\n".join(lines[lo:i] + [edited] + lines[i + 1:hi])
    prefix = unique_prefix(lines, i, rng.randint(1, 3)) if by_prefix else None
    if prefix is not None and rng.random() < 0.6:
        ask = rng.choice((f"The line starting with `{prefix.strip()}` is wrong: `{old}` should be `{new}`.",
                          f"In the line `{prefix.strip()} ...`, replace `{old}` with `{new}`."))
    else:
        ask = rng.choice((f"In line {first + i} of {path}, `{old}` should be `{new}`. Fix it.",
                          f"Change `{old}` to `{new}` in line {first + i}.",
                          f"Line {first + i} is wrong: replace `{old}` with `{new}`."))
    reply = format_call("str_replace_editor", thought(rng, ("This line is wrong; fix it.", "Make the change.")),
                        command="str_replace", path=f"{WORKDIR}/{path}",
                        old_str=f"\n{old_block}\n", new_str=f"\n{new_block}\n")
    return chat("str_replace_call", [
        ("system", SHORT_SYSTEM),
        ("user", observation_message(cat_n(lines, f"{WORKDIR}/{path}", first)) + "\n" + ask),
        ("assistant", reply),
    ])

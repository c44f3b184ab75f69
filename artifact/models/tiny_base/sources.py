"""Raw material for tiny-base's pretraining corpus: the TRAIN repositories' files, identifier
renaming, and random identifiers / code-shaped lines.

The held-out repository (`VERIFIED_ONLY` in the suite builder, i.e. statskit) is excluded here, at
the single place files are read, so no later stage can leak it. Task files (gold patches) are never
read at all: only the clean bundled repositories.
"""

from __future__ import annotations

import builtins
import io
import keyword
import random
import re
import tokenize
from dataclasses import dataclass
from functools import lru_cache

from artifact.tasks.tiny_suite.build import REPOS_DIR, VERIFIED_ONLY

WORKDIR = "/testbed"  # where the agent sees a repository (see the instance prompt)


@dataclass(frozen=True)
class SourceFile:
    repo: str
    path: str  # relative to the repository root, e.g. "ledger/money.py"
    text: str


def train_repo_names() -> list[str]:
    return sorted(p.name for p in REPOS_DIR.iterdir()
                  if p.is_dir() and (p / p.name).is_dir() and p.name not in VERIFIED_ONLY)


@lru_cache(maxsize=1)
def train_sources() -> tuple[SourceFile, ...]:
    """Every .py / .md file of the train repositories, in a fixed order."""
    files = []
    for repo in train_repo_names():
        root = REPOS_DIR / repo
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".md") and "__pycache__" not in path.parts and path.is_file():
                files.append(SourceFile(repo, str(path.relative_to(root)), path.read_text(encoding="utf-8")))
    return tuple(files)


def repo_files(repo: str) -> list[SourceFile]:
    return [f for f in train_sources() if f.repo == repo]


# ------------------------------------------------------------------ random identifiers and lines

# Names never generated nor renamed: keywords, builtins, common modules, methods of builtin types.
_KEEP = (set(keyword.kwlist) | set(dir(builtins)) | {"self", "cls", "pytest", "math", "datetime", "re"}
         | {n for t in (str, list, dict, set, int, float, tuple) for n in dir(t)})

_SYLLABLE_ONSETS = ["b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr"]
_SYLLABLE_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "io", "ou"]
_SYLLABLE_CODAS = ["", "", "", "n", "r", "s", "t", "l", "x", "nd", "st", "ck"]


@lru_cache(maxsize=1)
def word_pool() -> tuple[str, ...]:
    """Lower-case words from the train repositories' identifiers and prose (not their code as such):
    realistic pieces for random identifiers."""
    words: set[str] = set()
    for source in train_sources():
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{3,12}", source.text))
    return tuple(sorted(words))


def random_word(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(word_pool())
    return "".join(rng.choice(_SYLLABLE_ONSETS) + rng.choice(_SYLLABLE_VOWELS) + rng.choice(_SYLLABLE_CODAS)
                   for _ in range(rng.randint(1, 3)))


def random_identifier(rng: random.Random, capitalized: bool = False) -> str:
    """A fresh snake_case (or CamelCase) name; never a keyword or builtin, so code stays code."""
    while True:
        parts = [random_word(rng) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
        name = "".join(p.capitalize() for p in parts) if capitalized else "_".join(parts)
        if name not in _KEEP:
            return name


_OPERATORS = ["+", "-", "*", "/", "//", "%", "==", "!=", "<", "<=", ">", ">=", "=", "+=", "-=", "and", "or", "not", "in", "is"]
_PUNCT = list("()[]{},:.") + ["->", "'", '"', "#", "@", "**"]


def random_piece(rng: random.Random) -> str:
    """One random 'word' of code-shaped gibberish."""
    draw = rng.random()
    if draw < 0.45:
        return random_identifier(rng, capitalized=rng.random() < 0.1)
    if draw < 0.6:
        return str(rng.randint(0, 10 ** rng.randint(1, 4)))
    if draw < 0.75:
        return rng.choice(_OPERATORS)
    if draw < 0.9:
        return rng.choice(_PUNCT)
    return rng.choice(keyword.kwlist)


def random_line(rng: random.Random, max_words: int = 10) -> str:
    indent = "    " * rng.choice((0, 1, 1, 2, 2, 3))
    return indent + " ".join(random_piece(rng) for _ in range(rng.randint(2, max_words)))


def random_path(rng: random.Random, package: str | None = None) -> str:
    """A repository-relative path such as `pkg/sub_mod.py` or `tests/test_x.py`."""
    package = package or random_identifier(rng)
    name = random_identifier(rng)
    if rng.random() < 0.2:
        return f"tests/test_{name}.py"
    return f"{package}/{name}.py"


# ------------------------------------------------------------------------ identifier renaming



def identifiers(source: str) -> list[str]:
    """Distinct renamable names of a Python source, in order of first use."""
    seen: dict[str, None] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME and token.string not in _KEEP and len(token.string) >= 3:
                seen.setdefault(token.string, None)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    return list(seen)


def rename(source: str, rng: random.Random, share: float = 0.7) -> str:
    """Consistently rename a random share of a file's identifiers (also in its docstrings), so the
    code keeps its shape but its names are new: the model has to copy names from context instead
    of recalling the memorised repository."""
    names = identifiers(source)
    mapping = {}
    for name in names:
        if rng.random() < share:
            # Test functions stay tests (pytest collects `test_*`); classes stay CamelCase.
            prefix = "test_" if name.startswith("test_") else ""
            mapping[name] = prefix + random_identifier(rng, capitalized=name[:1].isupper())
    if not mapping:
        return source
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(mapping, key=len, reverse=True))) + r")\b")
    return pattern.sub(lambda m: mapping[m.group(1)], source)

"""`oec tasks build --suite tiny`: a miniature SWE-smith. Each bundled repository becomes a bare git
repository; every candidate AST mutation is run against the repository's real tests inside the
sandbox; a mutation is kept as a task when 1-5 tests go from pass to fail and all others still
pass. Output: train.jsonl, verified.jsonl, repos/*.git and a manifest. Deterministic for a seed."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from artifact.agent.trajectory import write_json_atomic
from artifact.grading.swebench_report import parse_status_map
from artifact.runtime.sandbox import SandboxConfig
from artifact.tasks.mutations import Mutation, enumerate_mutations
from artifact.tasks.patches import parse_patch, unique_edit
from artifact.tasks.schema import Task, write_tasks
from artifact.tasks.tiny_suite import gitstore
from artifact.tasks.tiny_suite.statements import write_statement
from artifact.tasks.tiny_suite.validation import run_validation

REPOS_DIR = Path(__file__).parent / "repos"
VERIFIED_ONLY = ("statskit",)  # never seen in training: the held-out repository
HELD_OUT_FRACTION = 0.15  # share of each training repository's functions kept for verified
# Candidates validated per function, so no function dominates the suite (~94% become tasks).
MAX_PER_FUNCTION = 5
MAX_PER_FUNCTION_VERIFIED_ONLY = 2  # the held-out repository needs fewer tasks
MIN_FAIL, MAX_FAIL = 1, 5
SUITE_VERSION = "2"  # 2: a share of the issues suggests the fix
# Share of issues whose reporter suggests the fix (file, faulty code, corrected code): the suite's
# difficulty knob (docs/tiny-scale.md). Real reports often carry the fix (statements.py).
SUGGESTED_FIX_SHARE = 0.5


@dataclass
class BuildSummary:
    out: Path
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    cached: bool = False


def source_digest() -> str:
    """Fingerprint of everything the suite is built from; a changed input rebuilds the suite."""
    h = hashlib.sha256(SUITE_VERSION.encode())
    here = Path(__file__).parent
    inputs = sorted(REPOS_DIR.rglob("*")) + sorted(here.glob("*.py")) + sorted(here.parent.glob("mutation*.py"))
    for path in inputs:
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(here.parent)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def repo_names() -> list[str]:
    return sorted(p.name for p in REPOS_DIR.iterdir() if (p / p.name).is_dir())


def source_files(repo: str) -> list[str]:
    root = REPOS_DIR / repo
    return sorted(str(p.relative_to(root)) for p in (root / repo).glob("*.py") if p.name != "__init__.py")


def split_of(repo: str, function: str, seed: int) -> str:
    if repo in VERIFIED_ONLY:
        return "verified"
    draw = random.Random(f"split:{seed}:{repo}:{function}").random()
    return "verified" if draw < HELD_OUT_FRACTION else "train"


def candidates(repo: str, seed: int, per_function: int = MAX_PER_FUNCTION) -> list[Mutation]:
    """A seeded sample of each function's mutations (at most `per_function` each)."""
    chosen: list[Mutation] = []
    for path in source_files(repo):
        source = (REPOS_DIR / repo / path).read_text(encoding="utf-8")
        by_function: dict[str, list[Mutation]] = {}
        for mutation in enumerate_mutations(source, path):
            by_function.setdefault(mutation.function, []).append(mutation)
        for function in sorted(by_function):
            pool = by_function[function]
            random.Random(f"sample:{seed}:{repo}:{path}:{function}").shuffle(pool)
            chosen.extend(pool[:per_function])
    return chosen


def _is_task(clean: dict[str, str], result: dict) -> tuple[list[str], list[str]] | None:
    if result["timed_out"]:
        return None
    status = parse_status_map(result["log"])
    fail = sorted(t for t, s in clean.items() if s == "PASSED" and status.get(t) != "PASSED")
    passing = sorted(t for t, s in clean.items() if s == "PASSED" and status.get(t) == "PASSED")
    if not MIN_FAIL <= len(fail) <= MAX_FAIL:
        return None
    if any(status.get(t) != "FAILED" for t in fail):  # collection errors and crashes are not bugs
        return None
    return fail, passing


def build_suite(out: str | Path, seed: int = 0, workers: int = 2, force: bool = False,
                sandbox: SandboxConfig | None = None, unsafe_no_sandbox: bool = False,
                progress=None, suggested_fix_share: float = SUGGESTED_FIX_SHARE) -> BuildSummary:
    if not 0.0 <= suggested_fix_share <= 1.0:
        raise ValueError(f"suggested_fix_share must lie in [0, 1], got {suggested_fix_share}")
    out = Path(out)
    digest = source_digest() + f":fix{suggested_fix_share:g}"
    manifest_path = out / "manifest.json"
    if not force and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("seed") == seed and manifest.get("source_digest") == digest:
            return BuildSummary(out, manifest["counts"], manifest["seconds"], cached=True)
    start = time.time()
    out.mkdir(parents=True, exist_ok=True)
    tasks: list[Task] = []
    counts: Counter = Counter()
    for repo in repo_names():
        bare = out / "repos" / f"{repo}.git"
        clean_sha = gitstore.init_bare_repo(REPOS_DIR / repo, bare)
        cap = MAX_PER_FUNCTION_VERIFIED_ONLY if repo in VERIFIED_ONLY else MAX_PER_FUNCTION
        pool = candidates(repo, seed, cap)
        results = run_validation(REPOS_DIR / repo, pool, workers=workers, config=sandbox,
                                 unsafe_no_sandbox=unsafe_no_sandbox, progress=progress, label=repo)
        clean = parse_status_map(results["clean"]["log"])
        if not clean or any(s != "PASSED" for s in clean.values()):
            raise RuntimeError(f"{repo}: the clean test suite does not pass inside the sandbox")
        kept: list[tuple[Mutation, list[str], list[str], list[dict]]] = []
        for i, mutation in enumerate(pool):
            verdict = _is_task(clean, results[str(i)])
            counts[f"candidates/{repo}"] += 1
            if verdict is None:
                continue
            fail, passing = verdict
            failures = [f for f in results[str(i)]["failures"] if f["nodeid"] in fail]
            kept.append((mutation, fail, passing, failures))
        commits = gitstore.add_task_commits(bare, clean_sha, [(m.path, m.mutated) for m, *_ in kept])
        for (mutation, fail, passing, failures), base in zip(kept, commits):
            patch = gitstore.diff(bare, base, clean_sha)
            if not _expert_can_edit(patch, mutation.mutated):
                counts[f"ambiguous_edit/{repo}"] += 1
                continue
            digest8 = hashlib.sha1(mutation.mutated.encode()).hexdigest()[:8]
            instance_id = f"{repo}__{mutation.function}.{mutation.kind}.{digest8}"
            split = split_of(repo, mutation.function, seed)
            fix = suggested_fix(patch, mutation.mutated, seed, instance_id, suggested_fix_share)
            statement = write_statement(repo, failures, random.Random(f"statement:{seed}:{instance_id}"), fix)
            tasks.append(Task(
                instance_id=instance_id, repo=f"oec-tiny/{repo}", base_commit=base, patch=patch,
                test_patch="", FAIL_TO_PASS=fail, PASS_TO_PASS=passing, problem_statement=statement,
                version=SUITE_VERSION, repo_path=str(bare), split=split,
                meta={"function": mutation.function, "kind": mutation.kind, "file": mutation.path,
                      # the reporter's suggestion as the issue shows it (None: no suggestion)
                      "suggested_fix": None if fix is None else dict(zip(("path", "old", "new"), fix))},
            ))
            counts[f"tasks/{split}"] += 1
            counts[f"tasks/{repo}"] += 1
            counts[f"kind/{mutation.kind}"] += 1
            counts[f"suggested_fix/{split}"] += fix is not None
    tasks.sort(key=lambda t: t.instance_id)
    for split in ("train", "verified"):
        write_tasks([t for t in tasks if t.split == split], out / f"{split}.jsonl")
    seconds = round(time.time() - start, 2)
    write_json_atomic(manifest_path, {
        "suite": "tiny", "seed": seed, "source_digest": digest, "seconds": seconds,
        "counts": dict(sorted(counts.items())), "verified_only_repos": list(VERIFIED_ONLY),
        "held_out_fraction": HELD_OUT_FRACTION, "suggested_fix_share": suggested_fix_share,
    }, indent=1)
    return BuildSummary(out, dict(sorted(counts.items())), seconds)


def suggested_fix(patch: str, buggy_source: str, seed: int, instance_id: str,
                  share: float) -> tuple[str, str, str] | None:
    """(path, faulty code, corrected code) for a seeded `share` of the tasks: exactly the
    `str_replace` the scripted expert applies, so a student can copy it from the issue."""
    if random.Random(f"suggested-fix:{seed}:{instance_id}").random() >= share:
        return None
    files = parse_patch(patch)
    if len(files) != 1 or len(files[0].hunks) != 1:
        return None
    edit = unique_edit(files[0].hunks[0], buggy_source)
    return None if edit is None else (files[0].path, *edit)


def _expert_can_edit(patch: str, buggy_source: str) -> bool:
    """Every hunk's old side must occur exactly once, so a str_replace edit is unambiguous."""
    return all(buggy_source.count(h.old_text) == 1 for f in parse_patch(patch) for h in f.hunks)

"""Run candidate mutations against a repository's tests inside the sandbox, split over workers
(one sandboxed worker process per core, each with its own copy of the repository)."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

from artifact.runtime.sandbox import Sandbox, SandboxConfig
from artifact.tasks.mutations import Mutation

WORKER = Path(__file__).with_name("validate_worker.py")
PER_RUN_TIMEOUT = 20  # seconds for one pytest run of a mutant (mutants can loop forever)


def run_validation(repo_dir: Path, pool: list[Mutation], workers: int = 2,
                   config: SandboxConfig | None = None, unsafe_no_sandbox: bool = False,
                   progress=None, label: str = "") -> dict[str, dict]:
    """Results by job id: "clean" for the unmodified repository, str(i) for pool[i]."""
    jobs = [{"id": "clean"}] + [
        {"id": str(i), "path": m.path, "source": m.mutated} for i, m in enumerate(pool)
    ]
    workers = max(1, min(workers, len(jobs)))
    shares = [jobs[w::workers] for w in range(workers)]
    config = config or SandboxConfig()
    with tempfile.TemporaryDirectory(prefix="oec-validate-") as tmp:
        spaces = []
        for w, share in enumerate(shares):
            space = Path(tmp) / f"w{w}"
            shutil.copytree(repo_dir, space / "repo", ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
            shutil.copy(WORKER, space / "worker.py")
            (space / "out").mkdir()
            (space / "jobs.json").write_text(json.dumps({"repo": "repo", "jobs": share, "timeout": PER_RUN_TIMEOUT}))
            spaces.append(space)
        errors: list[str] = []

        def work(space: Path) -> None:
            sandbox = Sandbox(space, config, unsafe_no_sandbox=unsafe_no_sandbox)
            result = sandbox.run(["python", "worker.py", "jobs.json", "out/results.jsonl"],
                                 timeout=PER_RUN_TIMEOUT * (len(jobs) + 5), output_cap=20_000)
            if result.exit_code != 0:
                errors.append(f"validation worker failed ({result.exit_code}): {result.output[-2000:]}")

        threads = [threading.Thread(target=work, args=(s,), daemon=True) for s in spaces]
        for t in threads:
            t.start()
        task_id = progress.add_task(f"validate {label}", total=len(jobs)) if progress else None
        while any(t.is_alive() for t in threads):
            time.sleep(0.2)
            if progress:
                progress.update(task_id, completed=_count_done(spaces))
        for t in threads:
            t.join()
        if progress:
            progress.update(task_id, completed=_count_done(spaces))
        if errors:
            raise RuntimeError(errors[0])
        results: dict[str, dict] = {}
        for space in spaces:
            for line in (space / "out" / "results.jsonl").read_text().splitlines():
                record = json.loads(line)
                results[record["id"]] = record
    missing = [j["id"] for j in jobs if j["id"] not in results]
    if missing:
        raise RuntimeError(f"validation lost {len(missing)} result(s), e.g. job {missing[0]}")
    return results


def _count_done(spaces: list[Path]) -> int:
    total = 0
    for space in spaces:
        path = space / "out" / "results.jsonl"
        if path.exists():
            total += path.read_bytes().count(b"\n")
    return total

"""Grade a patch: apply it to a clean checkout, restore the tests, run them in the sandbox, and
let swebench decide. One file in (a patch), one file out (the log) plus swebench's report."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from artifact.grading.swebench_report import format_eval_log, report_from_log
from artifact.runtime.base import Runtime
from artifact.tasks.schema import Task

TEST_TIMEOUT = 300.0


def test_files(task: Task) -> list[str]:
    """The test files holding the task's FAIL_TO_PASS and PASS_TO_PASS tests, in a stable order."""
    files = {test.split("::", 1)[0] for test in task.FAIL_TO_PASS + task.PASS_TO_PASS}
    return sorted(files)


def test_command(task: Task) -> str:
    # -rA prints one "STATUS test-id" line per test: the format swebench's pytest parser reads.
    files = " ".join(shlex.quote(f) for f in test_files(task))
    return f"python -m pytest -rA --tb=short -p no:cacheprovider {files}"


@dataclass
class GradeResult:
    resolved: bool
    report: dict
    log_path: str


def grade_patch(task: Task, patch: str | None, runtime: Runtime, log_path: str | Path,
                model_name: str = "oec", timeout: float = TEST_TIMEOUT) -> GradeResult:
    """Grade one patch for one task. Any failure along the way yields resolved=False."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = _run_tests(task, patch or "", runtime, timeout)
    log_path.write_text(log, encoding="utf-8")
    report = report_from_log(task, patch, str(log_path), model_name)
    return GradeResult(bool(report.get("resolved")), report, str(log_path))


def _run_tests(task: Task, patch: str, runtime: Runtime, timeout: float) -> str:
    session = runtime.start(task)
    try:
        if patch.strip():
            applied = session.apply_patch(patch)
            if applied.exit_code != 0:
                return format_eval_log("", 1, apply_error=applied.output)
        # The agent may have edited the tests; grade against the task's own test files.
        restore = session.run("git checkout -q HEAD -- " + " ".join(map(shlex.quote, test_files(task))))
        if restore.exit_code != 0:
            return format_eval_log("", 1, apply_error="could not restore test files: " + restore.output)
        if task.test_patch.strip():
            applied = session.apply_patch(task.test_patch)
            if applied.exit_code != 0:
                return format_eval_log("", 1, apply_error="test patch: " + applied.output)
        result = session.run(test_command(task), timeout=timeout)
        return format_eval_log(result.output, result.exit_code, timed_out=result.timed_out)
    finally:
        session.close()
